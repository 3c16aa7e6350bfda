#!/usr/bin/env bash
# The app's bin/pre_compile and bin/post_compile scripts, run as heroku-buildpack-python runs
# them: pre_compile before the package manager is chosen, post_compile after the install and
# collectstatic; with the app's config vars exported (in a subshell); a failure fails the build.
# The scripts are the app's own code, run in the build sandbox like everything else here.

hooks::run() {
  local name="$1" script="bin/$1"
  [[ -f "$script" ]] || return 0
  output::step "Running $script hook"
  chmod +x "$script"
  if ! (collectstatic::export_config; "./$script") |& output::indent; then
    output::error <<MSG
Error: Failed to run the $script script.

We found a '$script' script in your app source, so ran
it to allow for customisation of the build process.

However, this script exited with a non-zero exit status.

Fix any errors output by your script above, or remove/rename
the script to prevent it from being run during the build.
MSG
    exit 1
  fi
}
