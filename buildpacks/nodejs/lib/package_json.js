// node package_json.js FILE — prints the package.json fields the buildpack reads, each as one
// NUL-terminated value, in a fixed order (see bin/compile). The file is data: parsed as JSON,
// never required or evaluated. Exit 2 when it is not a JSON object.
'use strict';
const fs = require('fs');

let pkg;
try {
  pkg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
} catch (error) {
  process.exit(2);
}
if (pkg === null || typeof pkg !== 'object' || Array.isArray(pkg)) process.exit(2);

const object = (value) => (value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {});
// Strings as they are; numbers and booleans as text; anything else is treated as absent.
const text = (value) => {
  if (typeof value === 'string') return value.replace(/\0/g, '?');
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
};
const has = (value) => (typeof value === 'string' && value.length > 0 ? 'true' : 'false');
const engines = object(pkg.engines);
const scripts = object(pkg.scripts);
const fields = [
  text(engines.node), text(engines.npm), text(engines.yarn), text(engines.pnpm), text(engines.iojs),
  text(pkg.packageManager),
  has(scripts['heroku-prebuild']), has(scripts.build), has(scripts['heroku-postbuild']), has(scripts['heroku-cleanup']),
  has(scripts.start),
  String(Object.keys(object(pkg.dependencies)).length), String(Object.keys(object(pkg.devDependencies)).length),
];
process.stdout.write(fields.map((field) => field + '\0').join(''));
