#!/usr/bin/env bash
# Python versions the stack lacks, installed with `uv python install` (python-build-standalone)
# into /app/.heroku/python-runtime: shipped in the slug (the virtualenv's interpreter) and kept in
# the build cache for the next build. Only where a download location is configured: the admin's
# etc/python-install-mirror, or the app's UV_PYTHON_INSTALL_MIRROR config var.

python_install::mirror() {
  local mirror=""
  if [[ -f "$ENV_DIR/UV_PYTHON_INSTALL_MIRROR" ]]; then
    mirror=$(head -n 1 "$ENV_DIR/UV_PYTHON_INSTALL_MIRROR")
  elif [[ -f "$BP_DIR/etc/python-install-mirror" ]]; then
    mirror=$(grep -v '^[[:space:]]*#' "$BP_DIR/etc/python-install-mirror" | head -n 1 | tr -d '[:space:]' || true)
  fi
  echo "$mirror"
}

# Sets base_python and python_full_version for `requested`, or fails naming both versions.
python_install::managed() {
  local mirror runtime=/app/.heroku/python-runtime uv="$cache/python-uv/bin/uv"
  mirror=$(python_install::mirror)
  if [[ -z "$mirror" ]]; then
    python_version::unavailable "$(cat <<MSG
This server builds apps with its stack's python3. Request that
version by changing the version in your $origin file to:
$stack_major

(An admin can let builds install other versions with
'uv python install' by configuring a download location.)
MSG
)"
  fi
  if [[ -d "$cache/python-runtime" && ! -d .heroku/python-runtime ]]; then
    tools::link_tree "$cache/python-runtime" .heroku/python-runtime
  fi
  if [[ ! -x "$uv" || "$("$uv" --version 2>/dev/null)" != "uv $UV_VERSION"* ]]; then
    output::step "Installing uv $UV_VERSION"
    tools::venv "$cache/python-uv" "uv==$UV_VERSION" || tools::install_failed uv
  fi
  export UV_PYTHON_INSTALL_DIR="$runtime" UV_CACHE_DIR="$cache/uv-cache" UV_PYTHON_INSTALL_MIRROR="$mirror"
  if base_python=$("$uv" python find --managed-python --no-python-downloads "$requested" 2>/dev/null); then
    python_full_version=$("$base_python" -I -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
    output::step "Using cached install of Python $python_full_version"
    return 0
  fi
  output::step "Installing Python $requested"
  local log
  log=$(mktemp)
  if ! "$uv" python install --no-progress --no-bin "$requested" >"$log" 2>&1; then
    output::indent <"$log"
    python_version::unavailable "$(cat <<MSG
It could not be installed from:
$(python_version::shown "$mirror")

Check that this Python version has been released upstream, and
that the download location has it, then try building again.
MSG
)"
  fi
  output::indent <"$log"
  base_python=$("$uv" python find --managed-python --no-python-downloads "$requested")
  python_full_version=$("$base_python" -I -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
}

python_install::save_cache() {
  [[ -d .heroku/python-runtime ]] || return 0
  tools::save_tree .heroku/python-runtime "$cache/python-runtime"
}
