#!/usr/bin/env sh
# Validates docker-compose.yml (and the .env.example it reads) with Debian's docker-compose.
# Installs docker-compose first when missing, but only non-interactively as root (CI);
# elsewhere it says how to install it and fails.
set -eu
cd "$(dirname "$0")/.."

if ! command -v docker-compose >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "check-compose: installing docker-compose (Debian package)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
  else
    echo "check-compose: docker-compose not found; install it (apt-get install docker-compose)" >&2
    exit 1
  fi
fi

docker-compose -f docker-compose.yml config --quiet
# The three services, each waiting on the ones it needs being healthy (jaeger: the optional
# tracing profile, off unless --profile tracing).
services="$(docker-compose -f docker-compose.yml config --services | grep -vx jaeger | sort | tr '\n' ' ')"
if [ "$services" != "caller cognito-emulator weather-api " ]; then
  echo "check-compose: unexpected services: $services" >&2
  exit 1
fi
echo "check-compose: docker-compose.yml is valid ($services)"
