#!/usr/bin/env bash
# Makes sure the system packages the tests need are present, from Debian:
# - chromium, driven by playwright-core in the browser test (Playwright never downloads a
#   browser of its own here); without it that test skips with a message.
# - redis-server, which the token-cache tests start on a free port with nothing on disk
#   (test/helpers/redis-server.ts runs this script when the binary is missing).
# Installs only what is missing and only when we may (root with apt-get); otherwise says
# what is missing and how to install it.
# Usage: scripts/ensure-test-deps.sh [chromium] [redis-server]   (no argument: both)
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
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

missing=()
for want in "${@:-chromium redis-server}"; do
  for package in $want; do
    case "$package" in
      chromium) finder=chromium_path ;;
      redis-server) finder=redis_path ;;
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
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for package in "${missing[@]}"; do
  case "$package" in
    chromium) path=$(chromium_path) && echo "ensure-test-deps: chromium installed at $path" ;;
    redis-server) path=$(redis_path) && echo "ensure-test-deps: redis-server installed at $path" ;;
  esac
done
