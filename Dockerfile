# One image recipe for every service of the fleet; pick the service with --build-arg APP=...
#   docker build --build-arg APP=weather-api -t nest-m2m-cognito/weather-api .
# APP: any app of scripts/lib/fleet.json (an apps/<APP> folder)
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG APP
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script; the one that has one is
# @scarf/scarf's install-time telemetry (via swagger-ui-dist), which package.json also
# opts out of (scarfSettings, allowScripts) for installs outside the image.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build
RUN test -f "dist/apps/${APP}/apps/${APP}/src/main.js" || \
  (echo "build with --build-arg APP=<one of: $(ls dist/apps | tr '\n' ' ')>" >&2; exit 1)
# The app's own dependencies (what its build imports, and what Nest loads by name), at the
# root package.json's ranges: the runtime stage installs these, not the whole fleet's.
RUN node scripts/lib/image-manifest.mjs "${APP}" > image-package.json

FROM ${NODE_IMAGE} AS runtime
ARG APP
# NODE_OPTIONS: a V8 heap cap (as npm start uses, scripts/lib/fleet.mjs FLEET_NODE_OPTIONS).
# Uncapped, V8 lets garbage pile up to ~100 MiB under load (RSS 210-245 MiB after 10,000
# calls, ~40 MiB live). GLIBC_TUNABLES (FLEET_GLIBC_TUNABLES): malloc returns the 32 KiB
# segments V8's optimizing compiler frees instead of keeping 20-45 MiB of them per service.
# With both, RSS stays ~120-135 MiB after 10,000 calls with every call answered.
# PORT: where the service listens and the HEALTHCHECK probes; compose sets each service's.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=96 --max-semi-space-size=8" \
    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=32768 \
    APP=${APP} \
    OTEL_SERVICE_NAME=${APP} \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# One image per app, each with its own packages: the app's package.json from the build stage
# and the root lock, so npm keeps the locked versions and installs nothing else (measured
# without a Docker engine by test/image-contents.e2e-spec.ts, which builds this folder and
# starts the app from it). --omit=optional: TypeScript (24 MB) is an optional peer of
# @nestjs/swagger (for its build-time plugin) that npm would otherwise add.
COPY package-lock.json ./
COPY --from=build /app/image-package.json ./package.json
RUN npm install --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/apps/${APP} ./dist/apps/${APP}
# The emulator's demo pool (dev-only secrets) and the trigger module it names; the other
# services never read them.
COPY libs/fleet-auth/pool.json ./libs/fleet-auth/pool.json
COPY libs/fleet-auth/triggers ./libs/fleet-auth/triggers
# /app/data/tls: where docker-compose.tls.yml mounts the emulator's dev CA volume (a volume
# mounted on a folder of the image takes its owner, so the emulator may write there).
RUN mkdir -p /app/data/tls && chown -R node:node /app/data
USER node
# Ready, not just alive: the probe the orchestrator and compose wait on, on the service's
# PORT. Node's fetch, as slim images have no curl.
HEALTHCHECK --interval=5s --timeout=3s --start-period=15s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# exec: node becomes PID 1's child-free replacement and receives SIGTERM directly.
# --import: the tracing entry point (scripts/lib/fleet.mjs tracingImport) starts
# OpenTelemetry first when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER is set, and
# loads nothing otherwise.
CMD ["sh", "-c", "exec node --import ./dist/apps/${APP}/libs/auth/src/observability/register-tracing.js dist/apps/${APP}/apps/${APP}/src/main.js"]
