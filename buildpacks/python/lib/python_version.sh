#!/usr/bin/env bash
# The Python version an app asks for, read as heroku-buildpack-python reads it: runtime.txt
# (deprecated), then .python-version, then (ours, for uv) pyproject.toml's requires-python, then
# Pipfile.lock's python_full_version/python_version,
# then the major version of the last build, then the default (here: the stack's python3).
# Versions are only ever matched against patterns, never evaluated.

OLDEST_MINOR=10 NEWEST_MINOR=14
VERSION_PATTERN='^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?$'

# The non-comment, non-empty lines of a version file, trimmed (at most 64 KiB of it is read).
python_version::lines() {
  head -c 65536 "$1" | LC_ALL=C.UTF-8 sed -E -e 's/^[[:space:]]+//' -e 's/[[:space:]]+$//' -e 's/\x0/?/g' -e '/^(#|$)/d'
}

# A value shown back to the user: printable ASCII only, at most 100 characters.
python_version::shown() {
  local text="${1:0:100}"
  LC_ALL=C
  echo "${text//[^[:print:]]/?}"
}

python_version::file_instructions() {
  if [[ "$1" == "runtime.txt" ]]; then
    printf '%s\n' "Delete your runtime.txt file and create a new file in the" "root directory of your app named:"
  else
    echo "Create a new file in the root directory of your app named:"
  fi
  cat <<MSG
.python-version

Make sure to include the '.' character at the start of the
filename. Don't add a file extension such as '.txt'.

In the new file, specify your app's major Python version number
only. Don't include quotes or a 'python-' prefix.

For example, to request the latest version of Python $2,
update your .python-version file so it contains exactly:
$2

We strongly recommend that you don't specify the Python patch
version number, since it will pin your app to an exact Python
version and so stop your app from receiving security updates
each time it builds.
MSG
}

python_version::runtime_txt() {
  local contents
  contents=$(python_version::lines runtime.txt | head -n 2)
  if [[ "$contents" =~ ^python-(.*)$ && "${BASH_REMATCH[1]}" =~ $VERSION_PATTERN ]]; then
    echo "${contents#python-}"
    return 0
  fi
  output::error <<MSG
Error: Invalid Python version in runtime.txt.

The Python version specified in your runtime.txt file isn't
in the correct format.

However, the runtime.txt file is deprecated since it has been
replaced by the more widely supported .python-version file:
https://devcenter.heroku.com/changelog-items/3141

As such, we recommend that you switch to using .python-version
instead of fixing your runtime.txt file.

$(python_version::file_instructions runtime.txt "$stack_major")
MSG
  exit 1
}

python_version::python_version_file() {
  local versions=() version
  mapfile -t versions < <(python_version::lines .python-version | head -n 20)
  for version in "${versions[@]}"; do
    [[ "$version" =~ $VERSION_PATTERN ]] && continue
    output::error <<MSG
Error: Invalid Python version in .python-version.

The Python version specified in your .python-version file
isn't in the correct format.

The following version was found:
$(python_version::shown "$version")

However, the Python version must be specified as either:
1. The major version only, for example: $stack_major (recommended)
2. An exact patch version, for example: $stack_major.999

Don't include quotes, a 'python-' prefix or wildcards. Any
code comments must be on a separate line prefixed with '#'.

For example, to request the latest version of Python $stack_major,
update your .python-version file so it contains exactly:
$stack_major
MSG
    exit 1
  done
  case ${#versions[@]} in
    1) echo "${versions[0]}" ;;
    0)
      output::error <<MSG
Error: No Python version found in .python-version.

No Python version was found in your .python-version file.

Update the file so that it contains your app's major Python
version number. Don't include quotes or a 'python-' prefix.

For example, to request the latest version of Python $stack_major,
update your .python-version file so it contains exactly:
$stack_major

If the file already contains a version, check the line doesn't
begin with a '#', otherwise it will be treated as a comment.
MSG
      exit 1
      ;;
    *)
      output::error <<MSG
Error: Multiple Python versions found in .python-version.

Multiple versions were found in your .python-version file:

$(for version in "${versions[@]}"; do python_version::shown "$version"; done)

Update the file so it contains only one Python version.

For example, to request the latest version of Python $stack_major,
update your .python-version file so it contains exactly:
$stack_major
MSG
      exit 1
      ;;
  esac
}

# Pipfile.lock's optional _meta.requires.python_full_version / python_version (read as JSON data
# by the stack's python3 inside the build sandbox; the file name is the only argument).
python_version::pipfile_lock() {
  local version
  if ! version=$("$stack_python" -I -c '
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    requires = (json.load(f).get("_meta") or {}).get("requires") or {}
value = requires.get("python_full_version") or requires.get("python_version") or ""
print(value if isinstance(value, str) else "?")
' Pipfile.lock 2>&1); then
    output::error <<MSG
Error: Can't parse Pipfile.lock.

A Pipfile.lock file was found, however, it couldn't be parsed:
$(python_version::shown "$(tail -n 1 <<<"$version")")

This is likely due to it not being valid JSON.

Run 'pipenv lock' to regenerate/fix the lockfile.
MSG
    exit 1
  fi
  [[ -z "$version" ]] && return 0
  if [[ "$version" =~ $VERSION_PATTERN ]]; then
    echo "$version"
    return 0
  fi
  output::error <<MSG
Error: Invalid Python version in Pipfile.lock.

The Python version specified in your Pipfile.lock file by the
'python_version' or 'python_full_version' fields isn't valid.

The following version was found:
$(python_version::shown "$version")

However, the Python version must be specified as either:
1. The major version only, for example: $stack_major (recommended)
2. An exact patch version, for example: $stack_major.999

Wildcards aren't supported.

Please update your Pipfile to use a valid Python version and
then run 'pipenv lock' to regenerate Pipfile.lock.
MSG
  exit 1
}

# pyproject.toml's requires-python (apps uv manages without a .python-version): the stack's major
# version when its python3 satisfies it, else the newest supported 3.X that does; `none` when unset.
python_version::requires_python() {
  local result
  if result=$("$stack_python" -I "$BP_DIR/lib/requires_python.py" "$stack_version" "$OLDEST_MINOR" "$NEWEST_MINOR" 2>&1); then
    echo "$result"
    return 0
  fi
  output::error <<MSG
Error: Invalid Python version in pyproject.toml.

The Python version requirement in your pyproject.toml file
(the 'requires-python' field of its [project] table) can't be used:
$(python_version::shown "$(tail -n 1 <<<"$result")")

Specify your app's Python version with a .python-version file
instead, or fix requires-python (for example: requires-python = ">=$stack_major").

For example, to request the latest version of Python $stack_major,
run 'uv python pin $stack_major' and commit the .python-version file.
MSG
  exit 1
}

# Sets `requested` and `origin` (runtime.txt, .python-version, pyproject.toml, Pipfile.lock,
# cached, default).
python_version::read() {
  local package_manager="$1" cached="$2" name
  if [[ -f runtime.txt ]]; then
    requested=$(python_version::runtime_txt) origin="runtime.txt"
    return 0
  fi
  for name in " .python-version" ". python-version" ".python_version.txt" ".python_version" ".python-version " \
    ",python-version" ".python-version." ".python-version.py" ".python-version.txt" ".Python-version" \
    ".python.version" ".pythonversion" "python_version.txt" "python_version" "python-version.txt" "python-version"; do
    [[ -f "$name" ]] || continue
    output::error <<MSG
Error: Your .python-version file is spelled incorrectly.

Your app's .python-version file currently has the filename:
'$name'

However, the correct spelling is (without quotes):
'.python-version'

You must rename your file to the correct name.
MSG
    exit 1
  done
  if [[ -f .python-version ]]; then
    requested=$(python_version::python_version_file) origin=".python-version"
    return 0
  fi
  if [[ "$package_manager" == "uv" && -f pyproject.toml ]]; then
    requested=$(python_version::requires_python)
    if [[ "$requested" != none ]]; then
      origin="pyproject.toml"
      return 0
    fi
  fi
  if [[ "$package_manager" == "pipenv" ]]; then
    requested=$(python_version::pipfile_lock)
    if [[ -n "$requested" ]]; then
      origin="Pipfile.lock"
      return 0
    fi
  fi
  if [[ "$cached" =~ $VERSION_PATTERN && -n "${BASH_REMATCH[3]}" ]]; then
    requested="${cached%.*}" origin="cached"
  else
    requested="$stack_major" origin="default"
  fi
}

# The Python versions this server can build with, one per line.
python_version::available() {
  echo "$stack_version (the stack's python3)"
  local dir
  for dir in "$CACHE_DIR"/.heroku/python-runtime/cpython-*; do
    [[ -d "$dir" ]] || continue
    dir=${dir##*/cpython-}
    echo "${dir%%-*} (installed by an earlier build of this app)"
  done
}

# Refuses versions Heroku refuses (end-of-life, not yet released) before anything is installed.
python_version::check_supported() {
  [[ "$requested" =~ $VERSION_PATTERN ]] || { output::error <<<"Internal error: invalid Python version."; exit 1; }
  local major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}"
  if ((major < 3 || (major == 3 && minor < OLDEST_MINOR))); then
    output::error <<MSG
Error: The requested Python version has reached end-of-life.

Python $major.$minor has reached its upstream end-of-life, and is
therefore no longer receiving security updates:
https://devguide.python.org/versions/#supported-versions

As such, it's no longer supported by this buildpack:
https://devcenter.heroku.com/articles/python-support#supported-python-versions

Please upgrade to at least Python 3.$OLDEST_MINOR by changing the
version in your $origin file.

The Python versions available on this server are:
$(python_version::available)
MSG
    exit 1
  fi
  if (((major == 3 && minor > NEWEST_MINOR) || major >= 4)); then
    output::error <<MSG
Error: The requested Python version isn't recognised.

The requested Python version $major.$minor isn't recognised.

Check that this Python version has been officially released,
and that the Python buildpack has added support for it:
https://devguide.python.org/versions/#supported-versions
https://devcenter.heroku.com/articles/python-support#supported-python-versions

Otherwise, switch to a supported version (such as Python $stack_major)
by changing the version in your $origin file.

The Python versions available on this server are:
$(python_version::available)
MSG
    exit 1
  fi
}

# True when the stack's python3 satisfies the request (major.minor, or the exact version).
python_version::stack_matches() {
  [[ "$requested" == "$stack_version" || "$requested" == "$stack_major" ]]
}

python_version::unavailable() {
  local how="$1"
  output::error <<MSG
Error: The requested Python version isn't available.

Your app's $origin file specifies a Python version
of $requested, however, this server can't provide that version.

The Python versions available on this server are:
$(python_version::available)

$how
MSG
  exit 1
}
