#!/usr/bin/env bash
# The package managers' versions (those heroku-buildpack-python pins today); each is installed
# from PyPI, the only registry builds need.
PIP_VERSION="26.2.1"
UV_VERSION="0.12.5"
POETRY_VERSION="2.4.1"
PIPENV_VERSION="2026.7.1"

# tools::venv DIR PACKAGE==VERSION: a virtualenv of the stack's python3 holding one tool (kept in
# the build cache: it is only needed while building). Prints pip's output indented on failure.
tools::venv() {
  local dir="$1" requirement="$2" log
  log=$(mktemp)
  rm -rf "$dir"
  if "$stack_python" -m venv "$dir" >"$log" 2>&1 \
    && "$dir/bin/pip" install --disable-pip-version-check --isolated --no-input --quiet "$requirement" >>"$log" 2>&1; then
    return 0
  fi
  output::indent <"$log"
  rm -rf "$dir"
  return 1
}

# tools::link_tree SRC DST: DST becomes SRC's tree made of hard links where both are on one
# filesystem (openruko's BUILD_DIR and CACHE_DIR are: nothing is copied), else of copies. The
# files are shared: later steps replace files, never edit them in place (pip, uv and Python's
# bytecode writer write a new file and rename it).
tools::link_tree() {
  local probe file
  rm -rf "$2"
  # One link first: across mounts `cp -l` would fail file by file before the copy.
  probe="$(dirname "$2")/.link-probe-$$"
  file=$(find "$1" -type f -print -quit)
  if [[ -n "$file" ]] && ln "$file" "$probe" 2>/dev/null; then
    rm -f "$probe"
    cp -al "$1" "$2" 2>/dev/null && return 0
    rm -rf "$2"
  fi
  cp -a "$1" "$2"
}

# On openruko, $OPENRUKO_CACHE_MOVES names a file where a build lists trees to move from
# BUILD_DIR into CACHE_DIR once the slug is packed ("PATH<TAB>CACHED" lines, both relative): a
# cached tree then goes in and out with a rename, not thousands of links or copies.

# tools::move_after_pack PATH CACHED: PATH (in BUILD_DIR, relative) becomes CACHED (in CACHE_DIR)
# once the slug is packed. Only when $OPENRUKO_CACHE_MOVES is set.
tools::move_after_pack() {
  printf '%s\t%s\n' "$1" "${2#"$CACHE_DIR"/}" >>"$OPENRUKO_CACHE_MOVES"
}

# tools::restore_tree CACHED DST: DST (in BUILD_DIR, relative) becomes the cached tree: renamed
# (and back into the cache after packing) on openruko, else linked or copied.
tools::restore_tree() {
  rm -rf "$2"
  if [[ -n "${OPENRUKO_CACHE_MOVES:-}" ]] && mv -T "$1" "$2" 2>/dev/null; then
    tools::move_after_pack "$2" "$1"
    return 0
  fi
  tools::link_tree "$1" "$2"
}

# tools::save_tree SRC DST: replaces DST with SRC's tree (`tools::link_tree`) so that a build
# killed meanwhile leaves the old DST or none, never part of one; on openruko SRC moves to DST
# once the slug is packed.
tools::save_tree() {
  if [[ -n "${OPENRUKO_CACHE_MOVES:-}" ]]; then
    rm -rf "$2" && tools::move_after_pack "$1" "$2"
    return
  fi
  tools::link_tree "$1" "$2.partial" && rm -rf "$2" && mv "$2.partial" "$2"
}

# The message Heroku shows when a package manager cannot be installed from PyPI.
tools::install_failed() {
  output::error <<MSG
Error: Unable to install $1.

In some cases, this happens due to a temporary issue with
the network connection or Python Package Index (PyPI).

Try building again to see if the error resolves itself.

If that doesn't help, check the status of PyPI here:
https://status.python.org
MSG
  exit 1
}
