#!/usr/bin/env bash
# Heroku's output conventions: `-----> ` steps, 7-space details, ` !     ` warnings and errors.
output::step() { echo; echo "-----> $*"; }
output::info() { echo "       $*"; }
output::indent() { sed -u 's/^/       /'; }
output::warning() { echo >&2; sed -e 's/^/ !     /' >&2; echo >&2; }
output::error() { echo >&2; sed -e 's/^/ !     /' >&2; echo >&2; }
# A value from the app shown back: printable ASCII only, at most 200 characters.
output::shown() {
  local text="${1:0:200}"
  LC_ALL=C
  echo "${text//[^[:print:]]/?}"
}
