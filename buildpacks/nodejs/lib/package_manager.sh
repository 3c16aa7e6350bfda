#!/usr/bin/env bash
# The package manager, chosen as heroku-buildpack-nodejs chooses it: the lockfile
# (package-lock.json / npm-shrinkwrap.json → npm, yarn.lock → Yarn, pnpm-lock.yaml → pnpm),
# one lockfile at most, one package manager declared in package.json at most. Yarn and pnpm
# come from corepack (the version in packageManager, else engines), which downloads them from
# the npm registry (COREPACK_NPM_REGISTRY / NPM_CONFIG_REGISTRY for a mirror).

package_manager::fail_multiple_lockfiles() {
  local found=() manager
  [[ -f package-lock.json ]] && found+=(npm)
  [[ -f pnpm-lock.yaml ]] && found+=(pnpm)
  [[ -f yarn.lock ]] && found+=(Yarn)
  if ((${#found[@]} > 1)); then
    output::error <<MSG
Error: Multiple lockfiles found.

Multiple package managers ($(IFS=,; echo "${found[*]}")) have created lockfiles for this application,
but only one can be used to install dependencies. This usually happens when a project standardizes on one
package manager, but a dependency is later added with a different one and the extra lockfile is committed.
Installing dependencies with the wrong package manager can result in missing packages or subtle, hard to
debug bugs in production.

Only one of the following package manager lockfiles is supported at a time:
- package-lock.json (npm)
- yarn.lock (Yarn)
- pnpm-lock.yaml (pnpm)

Keep the lockfile for the package manager you use and delete the rest, then commit and redeploy.

To stop the extra lockfiles from being committed again, add them to your .gitignore file.
MSG
    exit 1
  fi
  if ((${#found[@]} > 0)) && [[ -f npm-shrinkwrap.json ]]; then
    output::error <<'MSG'
Error: Multiple lockfiles conflicting with npm-shrinkwrap.json.

Your application has multiple lockfiles defined which conflicts with the
shrinkwrap file you've been using. Only one lockfile can be used
to install dependencies. Installing dependencies using the wrong lockfile
can result in missing packages or subtle bugs in production.

Please make sure there is only one of the following files in your
application directory, then commit and redeploy:

- yarn.lock
- pnpm-lock.yaml
- package-lock.json
- npm-shrinkwrap.json
MSG
    exit 1
  fi
}

# Fails when package.json declares more than one package manager (engines.npm/yarn/pnpm,
# packageManager).
package_manager::fail_conflicting_metadata() {
  local -A managers=()
  local fields=()
  [[ -n "$ENGINE_NPM" ]] && managers[npm]=1 && fields+=("npm version detected in engines.npm ($(output::shown "$ENGINE_NPM"))")
  [[ -n "$ENGINE_YARN" ]] && managers[yarn]=1 && fields+=("yarn version declared in engines.yarn ($(output::shown "$ENGINE_YARN"))")
  [[ -n "$ENGINE_PNPM" ]] && managers[pnpm]=1 && fields+=("pnpm version declared in engines.pnpm ($(output::shown "$ENGINE_PNPM"))")
  case "$PACKAGE_MANAGER" in
    yarn*) managers[yarn]=1 && fields+=("yarn version declared in packageManager ($(output::shown "$PACKAGE_MANAGER"))") ;;
    pnpm*) managers[pnpm]=1 && fields+=("pnpm version declared in packageManager ($(output::shown "$PACKAGE_MANAGER"))") ;;
  esac
  if ((${#managers[@]} > 1)); then
    output::error <<MSG
Multiple package managers declared in package.json

Installing dependencies using the wrong package manager can result in missing packages or subtle bugs
in production. Only one of the following fields should be used, all others should be removed:

$(printf -- '- %s\n' "${fields[@]}")
MSG
    exit 1
  fi
}

# npm, yarn or pnpm: the lockfile decides how dependencies are installed (as on Heroku).
package_manager::determine() {
  if [[ -f yarn.lock ]]; then echo yarn
  elif [[ -f pnpm-lock.yaml ]]; then echo pnpm
  else echo npm; fi
}

# engines.npm: the bundled npm when it satisfies the range, else `npm install -g npm@RANGE`
# into .heroku/node (from the registry).
package_manager::install_npm() {
  local current
  current=$(npm --version)
  if [[ -z "$ENGINE_NPM" ]]; then
    output::info "Using default npm version: $current"
  elif nodejs::semver satisfies "$current" "$ENGINE_NPM"; then
    output::info "npm $current already installed with node"
  else
    output::info "Bootstrapping npm $(output::shown "$ENGINE_NPM") (replacing $current)..."
    if ! nodejs::semver valid "$ENGINE_NPM" \
      || ! npm install --quiet --no-audit --no-fund --no-progress -g --prefix "$BUILD_DIR/.heroku/node" "npm@$ENGINE_NPM" 2>&1 | output::indent; then
      output::error <<MSG
Unable to install npm $(output::shown "$ENGINE_NPM").
Does npm $(output::shown "$ENGINE_NPM") exist?
Is npm $(output::shown "$ENGINE_NPM") compatible with this Node.js version?
MSG
      exit 1
    fi
    hash -r
    output::info "npm $(npm --version) installed"
  fi
}

# Yarn or pnpm through corepack: the packageManager version, else engines.NAME, else the
# newest release (with Heroku's warning for pnpm).
package_manager::install_with_corepack() {
  local name="$1" spec="" log
  if [[ "$PACKAGE_MANAGER" == "$name@"* ]]; then
    spec="$PACKAGE_MANAGER"
  elif [[ "$name" == yarn && -n "$ENGINE_YARN" ]]; then
    spec="yarn@$ENGINE_YARN"
  elif [[ "$name" == pnpm && -n "$ENGINE_PNPM" ]]; then
    spec="pnpm@$ENGINE_PNPM"
  elif [[ "$name" == yarn ]]; then
    spec="yarn@1"
  else
    spec="pnpm@latest"
    output::warning <<'MSG'
Default pnpm version used

A pnpm lockfile (pnpm-lock.yaml) was detected but no specific version of pnpm was defined in package.json in either of the following fields:
- "packageManager"
- "engines.pnpm"

Without a specific version defined, this build will use "pnpm@latest" by default. We highly recommend setting an explicit version
of pnpm to improve the reliability of your builds.
MSG
  fi
  if [[ ! "$spec" =~ ^(yarn|pnpm)@[0-9A-Za-z][0-9A-Za-z.+^~-]{0,150}$ ]]; then
    output::error <<MSG
Error: Invalid $name version requested.

The $name version requested in package.json ($(output::shown "$spec")) isn't
one that corepack can install. Use a version like "$name@1.2.3" in the
"packageManager" field.
MSG
    exit 1
  fi
  output::info "Downloading and installing $name (${spec#*@}) with corepack"
  if ! command -v corepack >/dev/null; then
    output::error <<MSG
Error: Unable to install $name.

This app's lockfile needs $name, which is installed with corepack, but this
server's Node.js has no corepack. Request a Node.js version that ships it
(engines.node), or ask the server's admin to install it.
MSG
    exit 1
  fi
  export COREPACK_HOME="$BUILD_DIR/.heroku/corepack" COREPACK_ENABLE_DOWNLOAD_PROMPT=0 COREPACK_ENABLE_STRICT=0
  if [[ -z "${COREPACK_NPM_REGISTRY:-}" && -n "${NPM_CONFIG_REGISTRY:-}" ]]; then export COREPACK_NPM_REGISTRY="$NPM_CONFIG_REGISTRY"; fi
  mkdir -p "$COREPACK_HOME/bin"
  log=$(mktemp)
  if ! { corepack enable --install-directory "$COREPACK_HOME/bin" "$name" && timeout 300 corepack install -g "$spec"; } >"$log" 2>&1; then
    output::indent <"$log"
    output::error <<MSG
Error: Unable to install $name.

corepack could not download $(output::shown "$spec") (see its error above).
This server's builds must reach the npm registry (and repo.yarnpkg.com for
Yarn 2+), or a mirror of the registry set with the config var
COREPACK_NPM_REGISTRY (now: $(output::shown "${COREPACK_NPM_REGISTRY:-unset}")), to install $name.
MSG
    exit 1
  fi
  export PATH="$COREPACK_HOME/bin:$PATH"
  output::info "Installed $name $("$name" --version 2>/dev/null | head -n 1)"
}

# Runs a package.json script with the app's package manager (Heroku's `Running NAME`).
package_manager::run_script() {
  local name="$1" command=()
  case "$MANAGER" in
    npm) command=(npm run "$name" --if-present) ;;
    yarn) command=(yarn run "$name") ;;
    pnpm) command=(pnpm run --if-present "$name") ;;
  esac
  if [[ "$MANAGER" == yarn ]]; then output::info "Running $name (yarn)"; else output::info "Running $name"; fi
  if ! "${command[@]}" 2>&1 | output::indent; then
    output::error <<'MSG'
Error: A build script exited with a non-zero exit code.

One of your app's lifecycle scripts (heroku-prebuild, build, heroku-postbuild,
or heroku-cleanup) failed. This is usually caused by your application code or its
build configuration — a failing test, a compilation or bundler error, a missing
dependency — rather than a problem with the buildpack.

Review the build log above for the underlying error, fix it, and redeploy.

https://devcenter.heroku.com/articles/troubleshooting-node-deploys
MSG
    exit 1
  fi
}
