# Sourced by scripts/dev and scripts/test: installs what a fresh machine lacks.
# Only package registries are used (PyPI through pip/uv, Debian's packages through apt).

ensure_uv() {
  if ! command -v uv >/dev/null 2>&1; then
    echo "==> installing uv" >&2
    python3 -m pip install --quiet --disable-pip-version-check uv
    hash -r
  fi
}

ensure_apt_packages() {
  local missing=()
  for pair in "$@"; do
    local cmd=${pair%%:*} pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
    return 1
  fi
  echo "==> installing ${missing[*]} (apt)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_python_deps() {
  echo "==> syncing Python dependencies (uv.lock)" >&2
  uv sync --frozen --quiet
}

bootstrap() {
  ensure_uv
  ensure_apt_packages redis-server:redis-server
  ensure_python_deps
}
