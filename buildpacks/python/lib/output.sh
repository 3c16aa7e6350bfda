#!/usr/bin/env bash
# Heroku's output conventions: `-----> ` steps, 7-space details, ` !     ` warnings and errors.
output::step() { echo "-----> $*"; }
output::indent() { sed -u 's/^/       /'; }
output::warning() { echo >&2; sed -e 's/^/ !     /' >&2; echo >&2; }
output::error() { echo >&2; sed -e 's/^/ !     /' >&2; echo >&2; }
output::notice() { echo; sed -e 's/^/       /'; echo; }
