#!/usr/bin/env bash
# Which package manager builds the app, decided from its files as heroku-buildpack-python does:
# Pipfile.lock (pipenv), requirements.txt (pip), poetry.lock (poetry), uv.lock (uv); exactly one.

uv_recommendation() {
  cat <<'MSG'
If you aren't sure which package manager to use, we recommend
trying uv, since it supports lockfiles, is extremely fast, and
is actively maintained by a full-time team:
https://docs.astral.sh/uv/
MSG
}

# Prints pip, pipenv, poetry or uv; exits with Heroku's error when there is none or several.
package_manager::determine() {
  local dir="$1" found=() shown=()
  if [[ -f "$dir/Pipfile.lock" ]]; then
    found+=(pipenv) shown+=("Pipfile.lock (Pipenv)")
  elif [[ -f "$dir/Pipfile" ]]; then
    output::error <<MSG
Error: No 'Pipfile.lock' found!

A 'Pipfile' file was found, however, the associated 'Pipfile.lock'
Pipenv lockfile wasn't. This means your app dependency versions
aren't pinned, which means the package versions used on Heroku
might not match those installed in other environments.

Using Pipenv in this way is unsafe and no longer supported.

Run 'pipenv lock' locally to generate the lockfile, and make sure
that 'Pipfile.lock' isn't listed in '.gitignore' or '.slugignore'.

Alternatively, if you wish to switch to another package manager,
delete your 'Pipfile' and then add either a 'requirements.txt',
'poetry.lock' or 'uv.lock' file.

$(uv_recommendation)
MSG
    exit 1
  fi
  [[ -f "$dir/requirements.txt" ]] && found+=(pip) shown+=("requirements.txt (pip)")
  [[ -f "$dir/poetry.lock" ]] && found+=(poetry) shown+=("poetry.lock (Poetry)")
  [[ -f "$dir/uv.lock" ]] && found+=(uv) shown+=("uv.lock (uv)")

  case ${#found[@]} in
    1) echo "${found[0]}" ;;
    0)
      if [[ -f "$dir/setup.py" ]]; then
        output::error <<'MSG'
Error: Implicit setup.py file support has been sunset.

Your app currently only has a setup.py file and no Python
package manager files. This means that the buildpack can't
tell which package manager you want to use, and whether to
install your project in editable mode or not.

You must now add an explicit package manager file to your app,
such as a requirements.txt, poetry.lock or uv.lock file.

To continue using your setup.py file with pip in editable
mode, create a new file in the root directory of your app
named 'requirements.txt' containing the requirement
'--editable .' (without quotes).
MSG
        exit 1
      fi
      output::error <<MSG
Error: Couldn't find any supported Python package manager files.

A Python app on Heroku must have either a 'requirements.txt',
'Pipfile.lock', 'poetry.lock' or 'uv.lock' package manager file
in the root directory of its source code.

Currently the root directory of your app contains:

$(ls -1A --indicator-style=slash --quoting-style=escape "$dir" | head -n 50 || true)

If your app already has a package manager file, check that it:

1. Is in the top level directory (not a subdirectory).
2. Has the correct spelling (the filenames are case-sensitive).
3. Isn't listed in '.gitignore' or '.slugignore'.
4. Has been added to the Git repository using 'git add --all'
   and then committed using 'git commit'.

Otherwise, add a package manager file to your app. If your app has
no dependencies, then create an empty 'requirements.txt' file.

$(uv_recommendation)
MSG
      exit 1
      ;;
    *)
      output::error <<MSG
Error: Multiple Python package manager files were found.

Exactly one package manager file should be present in your app's
source code, however, several were found:

$(printf -- '%s\n' "${shown[@]}")

Previously, the buildpack guessed which package manager to use
and installed your dependencies with the first package manager
listed above. However, this implicit behaviour was deprecated
in November 2024 and is now no longer supported.

You must decide which package manager you want to use with your
app, and then delete the file(s) and any config from the others.

$(uv_recommendation)
MSG
      exit 1
      ;;
  esac
}

# The files whose contents decide what gets installed (the cache is reused while they and the
# Python version are unchanged).
package_manager::inputs() {
  case "$1" in
    pip) echo requirements.txt ;;
    pipenv) echo Pipfile.lock ;;
    poetry) printf '%s\n' poetry.lock pyproject.toml ;;
    uv) printf '%s\n' uv.lock pyproject.toml ;;
  esac
}
