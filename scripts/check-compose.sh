#!/usr/bin/env sh
# Validates docker-compose.yml (and the .env.example it reads) with Debian's docker-compose,
# alone and with its HTTPS override docker-compose.tls.yml, and the emulator's own compose
# file (apps/cognito-emulator/docker-compose.yml).
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
# The fleet's services (scripts/lib/fleet.json), each once, on its port; besides them only
# the infrastructure they use (redis, the shared token cache) and extra replicas (<app>-<n>).
expected="$(node -e '
  const { services } = JSON.parse(require("fs").readFileSync("scripts/lib/fleet.json", "utf8"));
  console.log(services.map((s) => s.app).sort().join(" "));
')"
# jaeger: the optional tracing profile, off unless --profile tracing; redis and <app>-<n>
# replicas are the shared token cache's demo, beside the fleet's own services.
services="$(docker-compose -f docker-compose.yml config --services | grep -Ev '^(jaeger|redis|.+-[0-9]+)$' |
  sort | tr '\n' ' ' | sed 's/ $//')"
if [ "$services" != "$expected" ]; then
  echo "check-compose: services are [$services], scripts/lib/fleet.json lists [$expected]" >&2
  exit 1
fi
config="$(docker-compose -f docker-compose.yml config)"
for pair in $(node -e '
  const { services } = JSON.parse(require("fs").readFileSync("scripts/lib/fleet.json", "utf8"));
  console.log(services.map((s) => `${s.app}=${s.port}`).join(" "));
'); do
  app="${pair%%=*}"
  port="${pair#*=}"
  # The service's block, up to the next service: it must set PORT to the fleet's port.
  block="$(printf '%s\n' "$config" | awk -v app="  $app:" '$0 == app { on = 1; next } /^  [a-z0-9-]+:$/ { on = 0 } on')"
  if ! printf '%s\n' "$block" | grep -Eq "PORT: ['\"]?$port['\"]?\$"; then
    echo "check-compose: $app must set PORT: '$port' (scripts/lib/fleet.json)" >&2
    exit 1
  fi
done
# The HTTPS override merges onto it and wires every service of the fleet.
docker-compose -f docker-compose.yml -f docker-compose.tls.yml config --quiet
tls_services="$(awk '/^services:$/ { on = 1; next } /^[^ #]/ { on = 0 } on && /^  [a-z0-9-]+:$/ { sub(":", ""); print $1 }' docker-compose.tls.yml | sort | tr '\n' ' ' | sed 's/ $//')"
if [ "$tls_services" != "$expected" ]; then
  echo "check-compose: docker-compose.tls.yml wires [$tls_services], scripts/lib/fleet.json lists [$expected]" >&2
  exit 1
fi
# The emulator's own image, as other repositories run it.
docker-compose -f apps/cognito-emulator/docker-compose.yml config --quiet
echo "check-compose: docker-compose.yml is valid ($services), and with docker-compose.tls.yml; apps/cognito-emulator/docker-compose.yml too"

