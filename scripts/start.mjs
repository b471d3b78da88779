#!/usr/bin/env node
// `npm start`: the whole fleet on this machine, offline.
//   1. builds when an entry point under dist/ is missing or older than the sources;
//   2. starts every service of the fleet (scripts/lib/fleet.json) together (concurrently
//      runs them, with [name] prefixes); those after the emulator load their code at once
//      but start serving once it is ready (their readiness depends on it: the key set, a
//      token), side by side; then waits for each to be ready in order;
//   3. once the caller is ready, calls its GET /forecast once and logs the outcome;
//   4. Ctrl-C / SIGTERM stops them all; if one dies, the others are stopped and the exit
//      code is non-zero.
// Each service keeps its own environment (PORT is set per child, from fleet.json);
// NODE_ENV defaults to development (readable logs), NODE_OPTIONS to FLEET_NODE_OPTIONS (a
// heap cap that keeps each service's RSS under 150 MiB under load). The emulator keeps its keys in
// dist/cognito-emulator.dev.keys.json unless COGNITO_EMULATOR_KEYS_FILE names a file.
// COGNITO_EMULATOR_TLS=true runs the fleet over HTTPS: the emulator's dev CA is made first
// (dist/cognito-emulator.dev-tls/ca.pem), then every service starts, the others with
// NODE_EXTRA_CA_CERTS naming it and wired to the emulator's https:// issuer and token
// endpoint (the demo pool's clients; variables you set win).
//
// Internal mode, used by the children's commands:
//   node scripts/start.mjs --wait-for URL --then dist/apps/<app>/.../main.js
// loads the app's code (its bootstrap.js) while URL is not yet ready, then runs the app
// in this process; exits 1 when URL is not ready within WAIT_TIMEOUT_MS.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  buildIfStale,
  emulatorDevFiles,
  entryPoint,
  FLEET_NODE_OPTIONS,
  localUrl,
  localWiring,
  prepareTls,
  root,
  SERVICES,
  tlsSwitch,
  tracingImport,
  waitReady as waitUntilReady,
} from './lib/fleet.mjs';

const WAIT_TIMEOUT_MS = 60_000;

const tls = tlsSwitch();
const tracing = (service) => tracingImport(service.app).join(' ');
const baseUrl = (service) => localUrl(service.app, service.port, tls);
const waitReady = (url) => waitUntilReady(url, { timeoutMs: WAIT_TIMEOUT_MS, pollMs: 20 });

function say(message) {
  const prefix =
    process.stdout.isTTY && !process.env.NO_COLOR ? '\x1b[1m[start]\x1b[22m' : '[start]';
  console.log(`${prefix} ${message}`);
}

async function firstCall(caller) {
  const started = Date.now();
  try {
    const res = await fetch(`${baseUrl(caller)}/forecast`, { signal: AbortSignal.timeout(10_000) });
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
 * A service's own variables: its PORT, and the emulator's files under dist/ (DEV-ONLY keys,
 * so a restarted fleet skips generating RSA keys and earlier tokens stay valid; the dev CA).
 * Over HTTPS, the others are wired to the emulator's https:// URLs.
 */
function envOf(service, urls) {
  const emulator = service.app === 'cognito-emulator';
  return {
    PORT: String(service.port),
    OTEL_SERVICE_NAME: service.app,
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    NODE_OPTIONS: process.env.NODE_OPTIONS ?? FLEET_NODE_OPTIONS,
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

async function main() {
  if (!buildIfStale({ say })) process.exit(1);
  const startedAt = Date.now();
  const urls = Object.fromEntries(SERVICES.map((service) => [service.app, baseUrl(service)]));
  const emulator = SERVICES.find((service) => service.app === 'cognito-emulator');
  const trust = emulator ? await trustForHttps(envOf(emulator, urls)) : {};
  const { concurrently } = await import('concurrently');
  const self = JSON.stringify(fileURLToPath(import.meta.url));
  const byName = new Map(SERVICES.map((service) => [service.name, service]));
  const commands = SERVICES.map((service) => {
    const after = service.after && byName.get(service.after);
    return {
      name: service.name,
      prefixColor: service.color,
      // Every process starts now and loads its code; the wait for `after` is part of the
      // command, so concurrently owns (and stops) it as well.
      command: after
        ? `node ${tracing(service)} ${self} --wait-for ${baseUrl(after)} --then ${entryPoint(service.app)}`
        : `node ${tracing(service)} ${entryPoint(service.app)}`,
      env: { ...envOf(service, urls), ...(service === emulator ? {} : trust) },
    };
  });

  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      stopping = true;
      say(`${signal}: stopping the fleet`);
    });
  }

  const { result } = concurrently(commands, {
    cwd: root,
    prefix: '[{name}]',
    killOthersOn: ['failure', 'success'],
    killSignal: 'SIGTERM',
    killTimeout: 5_000,
  });

  void (async () => {
    for (const service of SERVICES) {
      const ready = await waitReady(baseUrl(service));
      if (stopping) return;
      if (!ready) return say(`${service.name} not ready after ${WAIT_TIMEOUT_MS / 1000} s`);
      say(`${service.name} ready ${Date.now() - startedAt} ms after the start`);
    }
    const caller = SERVICES.find((service) => service.app === 'caller');
    if (caller) await firstCall(caller);
  })();

  try {
    await result;
    process.exit(0);
  } catch (events) {
    if (stopping) process.exit(0);
    const died = Array.isArray(events) ? events.find((e) => !e.killed) : undefined;
    say(
      `${died ? `${died.command.name} exited (${died.exitCode})` : 'a service exited'}: fleet stopped`,
    );
    process.exit(1);
  }
}

/**
 * What to load ahead of running `entry`: its `bootstrap.js` beside it (the app's whole module
 * graph, with no side effect: main.js is what starts the app), else the packages it imports.
 */
function preloadsOf(entry) {
  const bootstrap = join(root, dirname(entry), 'bootstrap.js');
  if (existsSync(bootstrap)) return [pathToFileURL(bootstrap).href];
  const appDir = join(root, 'dist', 'apps', entry.split(/[\\/]/)[2]);
  const specifiers = new Set();
  for (const file of readdirSync(appDir, { recursive: true, withFileTypes: true })) {
    if (!file.isFile() || !file.name.endsWith('.js')) continue;
    const code = readFileSync(join(file.parentPath ?? file.path, file.name), 'utf8');
    for (const [, spec] of code.matchAll(/\bfrom\s*['"]([^'".][^'"]*)['"]/g)) specifiers.add(spec);
  }
  return [...specifiers];
}

async function waitThenRun(url, entry) {
  // One after another: a CommonJS package require()-ing an ES module that a parallel
  // import() is still loading fails in Node 20.
  const warm = (async () => {
    for (const spec of preloadsOf(entry)) await import(spec).catch(() => undefined);
  })();
  if (!(await waitReady(url))) {
    console.error(`${url} not ready after ${WAIT_TIMEOUT_MS / 1000} s`);
    process.exit(1);
  }
  await warm;
  await import(pathToFileURL(join(root, entry)).href);
}

const waitIndex = process.argv.indexOf('--wait-for');
if (waitIndex !== -1) {
  const thenIndex = process.argv.indexOf('--then');
  await waitThenRun(process.argv[waitIndex + 1], process.argv[thenIndex + 1]);
} else {
  await main();
}
