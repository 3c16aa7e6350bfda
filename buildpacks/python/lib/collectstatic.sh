#!/usr/bin/env bash
# Django's `manage.py collectstatic --noinput`, run after the install as heroku-buildpack-python
# does: skipped with DISABLE_COLLECTSTATIC (or the deprecated .heroku/collectstatic_disabled),
# when Django isn't installed or there is no manage.py; its failure fails the build.
# Runs in a subshell: the app's config vars are exported there only (never evaluated).

# Exports each ENV_DIR file as a variable, except those that would change how the build's own
# tools run (Heroku's deny-list).
collectstatic::export_config() {
  local file name
  for file in "$ENV_DIR"/*; do
    [[ -f "$file" ]] || continue
    name=${file##*/}
    [[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    [[ "$name" =~ ^(PATH|GIT_DIR|CPATH|CPPATH|LD_PRELOAD|LIBRARY_PATH|LD_LIBRARY_PATH|PYTHONHOME|BUILD_DIR|CACHE_DIR|ENV_DIR|BP_DIR)$ ]] && continue
    export "$name=$(cat "$file")"
  done
}

collectstatic::run() (
  collectstatic::export_config
  if [[ -f .heroku/collectstatic_disabled ]]; then
    output::step "Skipping Django collectstatic since the file '.heroku/collectstatic_disabled' exists."
    output::warning <<'MSG'
Warning: The .heroku/collectstatic_disabled file is deprecated.

Please remove the file and set the env var DISABLE_COLLECTSTATIC=1 instead.
MSG
    exit 0
  fi
  if [[ "${DISABLE_COLLECTSTATIC:-0}" != "0" ]]; then
    output::step "Skipping Django collectstatic since the env var DISABLE_COLLECTSTATIC is set."
    exit 0
  fi
  python -I -c 'import importlib.util, sys; sys.exit(0 if importlib.util.find_spec("django") else 1)' 2>/dev/null || exit 0

  local manage
  manage=$(find . -maxdepth 3 -type f -name manage.py -printf '%d\t%P\n' 2>/dev/null | sort -n -k1 | cut -f2 | head -n 1)
  if [[ -z "$manage" || ! -f "./$manage" ]]; then
    output::step "Skipping Django collectstatic since no manage.py file found."
    exit 0
  fi

  output::step "\$ python $manage collectstatic --noinput"
  export PYTHONPATH="${PYTHONPATH:-.}"
  local status
  set +e
  python "./$manage" collectstatic --noinput --traceback 2>&1 | output::indent
  status=${PIPESTATUS[0]}
  set -e
  echo
  [[ "$status" == 0 ]] && exit 0
  output::error <<MSG
Error: Unable to generate Django static files.

The 'python $manage collectstatic --noinput' Django
management command to generate static files failed.

See the traceback above for details.

You may need to update application code to resolve this error.
Or, you can disable collectstatic for this application:

   \$ heroku config:set DISABLE_COLLECTSTATIC=1

https://devcenter.heroku.com/articles/django-assets
MSG
  if [[ "${DEBUG_COLLECTSTATIC:-0}" == "1" ]]; then
    echo
    echo "****** Collectstatic environment variables:"
    echo
    env | sort | output::indent
  fi
  exit 1
)
