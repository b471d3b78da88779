#!/usr/bin/env bash
# Makes sure the system packages the tests need are present: Debian's chromium, driven by
# playwright-core in the browser test (Playwright never downloads a browser of its own here).
# Installs only when missing and when we may (root); otherwise says what is missing and
# leaves it to the browser test to skip with that message.
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

if path=$(chromium_path); then
  echo "ensure-test-deps: chromium present at $path"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-test-deps: chromium is missing and we are not root; install it with" \
    "'sudo apt-get install -y chromium' (the browser test skips until then)" >&2
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-test-deps: chromium is missing and apt-get is unavailable; the browser test skips" >&2
  exit 0
fi

echo "ensure-test-deps: installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
path=$(chromium_path)
echo "ensure-test-deps: chromium installed at $path ($("$path" --version 2>/dev/null || echo 'version unknown'))"
