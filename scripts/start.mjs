#!/usr/bin/env node
// `npm start`: the whole fleet on this machine, offline.
//   1. builds when an entry point under dist/ is missing or older than the sources;
//   2. starts every service of the fleet (scripts/lib/fleet.json) together, through the fleet
//      kit (scripts/lib/fleet.mjs), their output prefixed with [name]; those after the
//      emulator load their code at once but start serving once it is ready (their readiness
//      depends on it: the key set, a token), side by side; then waits for each to be ready
//      in order;
//   3. once the caller is ready, calls its GET /forecast once and logs the outcome;
//   4. Ctrl-C / SIGTERM stops them all; if one dies, the others are stopped and the exit
//      code is non-zero.
// Each service keeps its own environment (PORT is set per child, from fleet.json);
// NODE_ENV defaults to development (readable logs), NODE_OPTIONS to FLEET_NODE_OPTIONS (a
// heap cap) and GLIBC_TUNABLES to FLEET_GLIBC_TUNABLES (freed malloc memory returned), which
// keep each service's RSS under 150 MiB under load. The emulator keeps its keys in
// dist/cognito-emulator.dev.keys.json unless COGNITO_EMULATOR_KEYS_FILE names a file.
// COGNITO_EMULATOR_TLS=true runs the fleet over HTTPS: the emulator's dev CA is made first
// (dist/cognito-emulator.dev-tls/ca.pem), then every service starts, the others with
// NODE_EXTRA_CA_CERTS naming it and wired to the emulator's https:// issuer and token
// endpoint (the demo pool's clients; variables you set win).
import { relative } from 'node:path';
import { styleText } from 'node:util';
import {
  buildIfStale,
  emulatorDevFiles,
  launchService,
  localUrl,
  localWiring,
  prepareTls,
  root,
  SERVICES,
  stopAll,
  tlsSwitch,
} from './lib/fleet.mjs';

const WAIT_TIMEOUT_MS = 60_000;

const tls = tlsSwitch();
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const baseUrl = (service) => localUrl(service.app, service.port, tls);

function say(message) {
  console.log(`${color ? styleText('bold', '[start]') : '[start]'} ${message}`);
}

async function firstCall(caller) {
  const started = Date.now();
  try {
    const res = await fetch(`${caller.url}/forecast`, { signal: AbortSignal.timeout(10_000) });
    const body = await res.json().catch(() => undefined);
    const days = Array.isArray(body)
      ? body.length
      : Array.isArray(body?.days)
        ? body.days.length
        : undefined;
    const detail = days === undefined ? '' : `, ${days} days`;
    say(`caller GET /forecast -> ${res.status}${detail} (${Date.now() - started} ms)`);
  } catch (error) {
    say(`caller GET /forecast failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** `vars` without those this process's environment sets: what you set wins. */
const unlessSet = (vars) =>
  Object.fromEntries(Object.entries(vars).filter(([name]) => process.env[name] === undefined));

/**
 * A service's own variables (over the kit's: its PORT from fleet.json, OTEL_SERVICE_NAME, the
 * heap cap): the HOST you set, NODE_ENV, and the emulator's files under dist/ (DEV-ONLY keys,
 * so a restarted fleet skips generating RSA keys and earlier tokens stay valid; the dev CA).
 * Over HTTPS, the others are wired to the emulator's https:// URLs.
 */
function envOf(service, urls) {
  const emulator = service.app === 'cognito-emulator';
  return {
    ...(process.env.HOST !== undefined && { HOST: process.env.HOST }),
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    ...(emulator ? emulatorDevFiles() : {}),
    ...(tls && !emulator ? unlessSet(localWiring(service.app, urls)) : {}),
  };
}

/** Over HTTPS, the emulator's dev CA, made before anything starts; what the others need to trust it. */
async function trustForHttps(emulatorEnv) {
  if (!tls) return {};
  try {
    const trust = await prepareTls(emulatorEnv);
    const ca = trust.NODE_EXTRA_CA_CERTS;
    const theirs = process.env.NODE_EXTRA_CA_CERTS;
    if (ca) say(`HTTPS: the others trust the emulator's dev CA ${relative(root, ca)}`);
    if (ca && theirs && theirs !== ca) say(`HTTPS: NODE_EXTRA_CA_CERTS=${theirs} replaced by it`);
    return trust;
  } catch (error) {
    say(`HTTPS: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

if (!buildIfStale({ say })) process.exit(1);
const startedAt = Date.now();
const urls = Object.fromEntries(SERVICES.map((service) => [service.app, baseUrl(service)]));
const emulator = SERVICES.find((service) => service.app === 'cognito-emulator');
const trust = emulator ? await trustForHttps(envOf(emulator, urls)) : {};
const byName = new Map(SERVICES.map((service) => [service.name, service]));
// Every process starts now and loads its code; those with `after` wait for it before they
// start serving.
const fleet = await Promise.all(
  SERVICES.map((service) => {
    const after = service.after && byName.get(service.after);
    const prefix = `[${service.name}]`;
    return launchService(service.app, {
      name: service.name,
      port: service.port,
      tls,
      after: after ? baseUrl(after) : undefined,
      heapCap: true,
      env: { ...envOf(service, urls), ...(service === emulator ? {} : trust) },
      until: false,
      onLine: (line) => console.log(`${color ? styleText(service.color, prefix) : prefix} ${line}`),
    });
  }),
);

let stopping = false;
async function stopFleet(code) {
  stopping = true;
  await stopAll(fleet);
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    say(`${signal}: stopping the fleet`);
    void stopFleet(0);
  });
}
// One dies, all stop.
void Promise.race(fleet.map((proc) => proc.exit.then((exit) => ({ proc, exit })))).then(
  ({ proc, exit }) => {
    if (stopping) return;
    say(`${proc.name} exited (${exit.code ?? exit.signal}): fleet stopped`);
    void stopFleet(1);
  },
);

let allReady = true;
for (const proc of fleet) {
  try {
    await proc.ready('ready', { timeoutMs: WAIT_TIMEOUT_MS });
  } catch (error) {
    if (!stopping) say(error.summary ?? String(error));
    allReady = false;
    break;
  }
  if (stopping) break;
  say(`${proc.name} ready ${Date.now() - startedAt} ms after the start`);
}
const caller = fleet.find((proc) => proc.app === 'caller');
if (allReady && caller && !stopping) await firstCall(caller);
