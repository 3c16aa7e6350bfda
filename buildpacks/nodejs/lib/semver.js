// node semver.js COMMAND … — version ranges as npm reads them, with the semver module the
// stack's npm ships (Debian's node-semver, or npm's own copy). Ranges and versions are data.
//   valid RANGE                 exit 0 when RANGE is a valid semver range
//   satisfies VERSION RANGE     exit 0 when VERSION satisfies RANGE
//   pick INDEX RANGE            the newest release in a Node.js distribution's index.json with a
//                               linux-x64 build that satisfies RANGE (`24.19.0`); exit 1 if none
//   majors INDEX                the newest release of each major line, newest first (at most 12)
'use strict';
const fs = require('fs');
const path = require('path');

function loadSemver() {
  try {
    return require('semver');
  } catch (error) {
    const npm = require('child_process').execFileSync('sh', ['-c', 'command -v npm']).toString().trim();
    const npmRoot = path.dirname(path.dirname(fs.realpathSync(npm)));
    return require(require.resolve('semver', { paths: [npmRoot] }));
  }
}
const semver = loadSemver();
const MAX_RANGE = 256;

// Only plain release versions (`v24.19.0`): anything else in the index is ignored, so no name
// from a mirror ever becomes part of a path or URL unchecked.
function releases(indexFile) {
  const stat = fs.statSync(indexFile);
  if (stat.size > 32 * 1024 * 1024) throw new Error('index.json is larger than 32 MiB');
  const index = JSON.parse(fs.readFileSync(indexFile, 'utf8'));
  if (!Array.isArray(index)) throw new Error('index.json is not a list of releases');
  const found = [];
  for (const entry of index) {
    if (entry === null || typeof entry !== 'object' || typeof entry.version !== 'string') continue;
    if (!/^v(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})$/.test(entry.version)) continue;
    if (!Array.isArray(entry.files) || !entry.files.includes('linux-x64')) continue;
    found.push(entry.version.slice(1));
  }
  return found.sort(semver.rcompare);
}

function validRange(range) {
  return typeof range === 'string' && range.length <= MAX_RANGE && semver.validRange(range) !== null;
}

const [command, ...args] = process.argv.slice(2);
try {
  switch (command) {
    case 'valid':
      process.exit(validRange(args[0]) ? 0 : 1);
    case 'satisfies':
      process.exit(validRange(args[1]) && semver.valid(args[0]) && semver.satisfies(args[0], args[1]) ? 0 : 1);
    case 'pick': {
      if (!validRange(args[1])) process.exit(1);
      const version = semver.maxSatisfying(releases(args[0]), args[1]);
      if (version === null) process.exit(1);
      console.log(version);
      process.exit(0);
    }
    case 'majors': {
      const seen = new Set();
      const newest = [];
      for (const version of releases(args[0])) {
        const major = semver.major(version);
        if (seen.has(major)) continue;
        seen.add(major);
        newest.push(version);
      }
      console.log(newest.slice(0, 12).join('\n'));
      process.exit(0);
    }
    default:
      console.error('usage: semver.js valid|satisfies|pick|majors …');
      process.exit(64);
  }
} catch (error) {
  console.error(String(error.message).slice(0, 200));
  process.exit(3);
}
