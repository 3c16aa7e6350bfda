#!/usr/bin/env bash
# The Node.js an app asks for in engines.node: the stack's node when it satisfies the range
# (or no range is given), otherwise the newest release of the distribution (NODEJS_ORG_MIRROR,
# etc/nodejs-mirror, https://nodejs.org/dist) that does, checked against SHASUMS256.txt,
# installed into BUILD_DIR/.heroku/node and kept in the cache for the next build. NODE_BINARY_URL
# installs one tarball as Heroku does. Ranges are data: only semver.js reads them.

NODEJS_DEFAULT_MIRROR="https://nodejs.org/dist"

# The distribution's base URL (no trailing slash).
nodejs::mirror() {
  local mirror=""
  if [[ -f "$ENV_DIR/NODEJS_ORG_MIRROR" ]]; then
    mirror=$(head -n 1 "$ENV_DIR/NODEJS_ORG_MIRROR" | tr -d '[:space:]')
  elif [[ -f "$BP_DIR/etc/nodejs-mirror" ]]; then
    mirror=$(grep -v '^[[:space:]]*#' "$BP_DIR/etc/nodejs-mirror" | head -n 1 | tr -d '[:space:]' || true)
  fi
  mirror="${mirror:-$NODEJS_DEFAULT_MIRROR}"
  echo "${mirror%/}"
}

# curl limited to the web and local files, with time and size limits.
nodejs::fetch() {
  local url="$1" file="$2" max="$3"
  curl --proto '=http,https,file' --proto-redir '=http,https' --location --fail --silent --show-error \
    --connect-timeout 10 --max-time 600 --retry 2 --max-filesize "$max" -o "$file" "$url"
}

nodejs::semver() { node "$BP_DIR/lib/semver.js" "$@"; }

nodejs::example_major() { echo "${STACK_NODE_VERSION%%.*}"; }

# Heroku's advice that ends both version errors.
nodejs::recommend_range() {
  cat <<MSG
We recommend requesting a major version range so you automatically receive
security and bug-fix updates for that release line, for example:

"engines": {
  "node": "$(nodejs::example_major).x"
}

https://devcenter.heroku.com/articles/nodejs-support#specifying-a-node-js-version
MSG
}

nodejs::fail_invalid_range() {
  output::error <<MSG
Error: Invalid Node.js version requirement.

The version requirement in your package.json ($(output::shown "$1")) is not a
valid semantic version range, so we can't determine which Node.js version to
install.

$(nodejs::recommend_range)
MSG
  exit 1
}

nodejs::fail_download() {
  output::error <<MSG
Error: Unable to download Node.js.

Failed to download Node.js from:
$(output::shown "$1")

In some cases, this happens due to a temporary network
issue or an outage with the Node.js distribution server.

Confirm the download url ($(output::shown "$1")) works then try building again
to see if the error resolves itself.
MSG
  exit 1
}

# Installs NODE_BINARY_URL's tarball as is (Heroku's escape hatch: no resolution, no checksum).
nodejs::install_url() {
  local url="$1" tarball
  tarball=$(mktemp)
  output::info "Downloading and installing node from $(output::shown "$url")"
  nodejs::fetch "$url" "$tarball" 1073741824 2>&1 | output::indent || nodejs::fail_download "$url"
  rm -rf .heroku/node && mkdir -p .heroku/node
  tar -xzf "$tarball" --strip-components 1 --no-same-owner -C .heroku/node 2>&1 | output::indent || nodejs::fail_download "$url"
  rm -f "$tarball"
}

# Sets NODE_SOURCE ("stack" or "installed") and puts the chosen node first on PATH.
nodejs::install() {
  local requested="$1" mirror index version cached tarball sums expected actual name
  NODE_SOURCE=stack
  if [[ -f "$ENV_DIR/NODE_BINARY_URL" ]]; then
    nodejs::install_url "$(head -n 1 "$ENV_DIR/NODE_BINARY_URL" | tr -d '[:space:]')"
    NODE_SOURCE=installed
    return 0
  fi
  if [[ -z "$requested" ]]; then
    output::info "No Node.js version specified, using the stack's Node.js v$STACK_NODE_VERSION"
    return 0
  fi
  output::info "Resolving node version $(output::shown "$requested")..."
  nodejs::semver valid "$requested" || nodejs::fail_invalid_range "$requested"
  if nodejs::semver satisfies "$STACK_NODE_VERSION" "$requested"; then
    output::info "Using the stack's Node.js v$STACK_NODE_VERSION, which satisfies $(output::shown "$requested")"
    return 0
  fi

  mirror=$(nodejs::mirror)
  index=$(mktemp)
  local log
  log=$(mktemp)
  if ! nodejs::fetch "$mirror/index.json" "$index" 33554432 2>"$log"; then
    output::error <<MSG
Error: Unable to resolve a Node.js version to install.

The stack's Node.js (v$STACK_NODE_VERSION) doesn't satisfy the requested
version ($(output::shown "$requested")), and the list of Node.js releases could not
be read from:
$(output::shown "$mirror/index.json")

$(output::shown "$(tail -n 1 "$log")")

Request a version the stack has, or ask the server's admin which Node.js
distribution (NODEJS_ORG_MIRROR) this server can reach.
MSG
    exit 1
  fi
  if ! version=$(nodejs::semver pick "$index" "$requested"); then
    output::error <<MSG
Error: No published Node.js version matches the requested range.

The version requirement in your package.json ($(output::shown "$requested")) is a valid
semver range, but it does not match any Node.js version available on this server.

The Node.js versions available on this server are:
$STACK_NODE_VERSION (the stack's node)
$(nodejs::semver majors "$index" 2>/dev/null || true)

$(nodejs::recommend_range)
MSG
    exit 1
  fi
  NODE_SOURCE=installed
  cached="$CACHE_DIR/node/runtime/v$version"
  if [[ -x "$cached/bin/node" ]]; then
    output::info "Using cached Node.js $version"
  else
    output::info "Downloading and installing node $version..."
    name="node-v$version-linux-x64.tar.gz"
    tarball=$(mktemp) sums=$(mktemp)
    nodejs::fetch "$mirror/v$version/$name" "$tarball" 1073741824 2>&1 | output::indent || nodejs::fail_download "$mirror/v$version/$name"
    nodejs::fetch "$mirror/v$version/SHASUMS256.txt" "$sums" 1048576 2>&1 | output::indent \
      || nodejs::fail_download "$mirror/v$version/SHASUMS256.txt"
    output::info "Validating checksum"
    expected=$(awk -v name="$name" '$2 == name && length($1) == 64 && $1 ~ /^[0-9a-f]+$/ { print $1; exit }' "$sums")
    actual=$(sha256sum "$tarball" | cut -d' ' -f1)
    if [[ "$actual" != "$expected" ]]; then
      output::error <<<"Checksum validation failed for Node.js $version - sha256:${expected:-missing}"
      exit 1
    fi
    rm -rf "$CACHE_DIR/node/runtime" && mkdir -p "$cached"
    if ! tar -xzf "$tarball" --strip-components 1 --no-same-owner -C "$cached" 2>&1 | output::indent || [[ ! -x "$cached/bin/node" ]]; then
      rm -rf "$CACHE_DIR/node/runtime"
      nodejs::fail_download "$mirror/v$version/$name"
    fi
    rm -f "$tarball" "$sums"
  fi
  rm -rf .heroku/node
  cp -a "$cached" .heroku/node
}
