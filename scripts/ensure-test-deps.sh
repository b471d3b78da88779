#!/usr/bin/env bash
# Makes sure the system packages the tests need are present, from Debian:
# - chromium, driven by playwright-core in the browser test (Playwright never downloads a
#   browser of its own here); without it that test skips with a message.
# - redis-server (and redis-cli), which the token-cache tests start on free ports with
#   nothing on disk: single nodes, a cluster, a Sentinel set, a TLS node
#   (scripts/lib/redis-server.mjs runs this script when the binary is missing).
# - valkey-server (and valkey-cli), the same tests against Valkey: bookworm has none, so it
#   comes from bookworm-backports, a suite added for it alone (backports are never
#   installed unless asked for by name with -t, so nothing else changes).
# Installs only what is missing and only when we may (root with apt-get); otherwise says
# what is missing and how to install it.
# Usage: scripts/ensure-test-deps.sh [chromium] [redis-server] [valkey-server]   (no argument: all)
set -euo pipefail

chromium_path() {
  for candidate in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

redis_path() {
  for candidate in "${REDIS_SERVER_PATH:-}" /usr/bin/redis-server; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && [ -x /usr/bin/redis-cli ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

valkey_path() {
  if [ -x /usr/bin/valkey-server ] && [ -x /usr/bin/valkey-cli ]; then
    echo /usr/bin/valkey-server
    return 0
  fi
  return 1
}

# Debian's release codename (bookworm), for its backports suite.
codename() {
  . /etc/os-release
  echo "${VERSION_CODENAME:-}"
}

add_backports() {
  local suite
  suite="$(codename)-backports"
  if grep -rqs "$suite" /etc/apt/sources.list /etc/apt/sources.list.d/; then return 0; fi
  echo "ensure-test-deps: adding Debian's $suite suite (for valkey-server only)"
  cat >/etc/apt/sources.list.d/backports.sources <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
}

missing=()
for want in "${@:-chromium redis-server valkey-server}"; do
  for package in $want; do
    case "$package" in
      chromium) finder=chromium_path ;;
      redis-server) finder=redis_path ;;
      valkey-server) finder=valkey_path ;;
      *)
        echo "ensure-test-deps: unknown package '$package'" >&2
        exit 2
        ;;
    esac
    if path=$($finder); then
      echo "ensure-test-deps: $package present at $path"
    else
      missing+=("$package")
    fi
  done
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-test-deps: missing ${missing[*]}; install with" \
    "'sudo apt-get install -y ${missing[*]}'" >&2
  exit 0
fi

echo "ensure-test-deps: installing Debian's ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
main=()
for package in "${missing[@]}"; do
  case "$package" in
    redis-server) main+=(redis-server redis-tools) ;;
    valkey-server) add_backports ;;
    *) main+=("$package") ;;
  esac
done
apt-get update -qq
if [ "${#main[@]}" -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${main[@]}" >/dev/null
fi
if [[ " ${missing[*]} " == *" valkey-server "* ]]; then
  # From backports by name; valkey-tools brings valkey-cli. redis-server and redis-cli stay
  # Debian's own: valkey's packages install beside them (other binaries, another service).
  apt-get install -y -qq --no-install-recommends -t "$(codename)-backports" \
    valkey-server valkey-tools >/dev/null || echo "ensure-test-deps: valkey-server unavailable" >&2
fi
for package in "${missing[@]}"; do
  case "$package" in
    chromium) path=$(chromium_path) && echo "ensure-test-deps: chromium installed at $path" ;;
    redis-server) path=$(redis_path) && echo "ensure-test-deps: redis-server installed at $path" ;;
    valkey-server) path=$(valkey_path) && echo "ensure-test-deps: valkey-server installed at $path" ;;
  esac
done
