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
