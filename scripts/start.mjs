#!/usr/bin/env node
// `npm start`: the whole fleet on this machine, offline.
//   1. builds when an entry point under dist/ is missing or older than the sources;
//   2. starts the emulator, then weather-api once the emulator is ready, then the caller
//      once weather-api is ready (concurrently runs them, with [name] prefixes);
//   3. once the caller is ready, calls its GET /forecast once and logs the outcome;
//   4. Ctrl-C / SIGTERM stops all three; if one dies, the others are stopped and the exit
//      code is non-zero.
// Each service keeps its own environment (PORT is set per child: 4000 / 3000 / 3001);
// NODE_ENV defaults to development (readable logs).
//
// Internal mode, used by the children's commands:
//   node scripts/start.mjs --wait-for URL --then dist/apps/<app>/.../main.js
// loads the app's dependencies while URL is not yet ready (start-up is mostly module
// loading, so this overlaps it with the previous service's), then runs the app in this
// process; exits 1 when URL is not ready within WAIT_TIMEOUT_MS.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const WAIT_TIMEOUT_MS = 60_000;
const POLL_MS = 100;

const SERVICES = [
  { name: 'emulator', app: 'cognito-emulator', port: 4000, color: 'magenta' },
  { name: 'weather-api', app: 'weather-api', port: 3000, color: 'blue' },
  { name: 'caller', app: 'caller', port: 3001, color: 'green' },
];

const entryPoint = (app) => join('dist', 'apps', app, 'apps', app, 'src', 'main.js');
const baseUrl = (service) => `http://127.0.0.1:${service.port}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function say(message) {
  const prefix =
    process.stdout.isTTY && !process.env.NO_COLOR ? '\x1b[1m[start]\x1b[22m' : '[start]';
  console.log(`${prefix} ${message}`);
}

/**
 * 'ready' when /health/ready answers 200; where a service has no readiness probe (404),
 * /health answering 200, or, with neither wired, the service answering HTTP at all.
 */
async function probe(url) {
  for (const path of ['/health/ready', '/health']) {
    try {
      const res = await fetch(url + path, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return 'ready';
      if (res.status !== 404) return 'not-ready';
    } catch {
      return 'down';
    }
  }
  return 'ready';
}

async function waitReady(url, timeoutMs = WAIT_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await probe(url)) === 'ready') return true;
    await sleep(POLL_MS);
  }
  return false;
}

function newestSource(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.spec.ts')) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    if (!relative(dir, path).split(/[\\/]/).includes('src')) continue;
    newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function buildIfStale() {
  const stamp = join(root, 'dist', '.start-build-stamp');
  const entries = SERVICES.map((s) => join(root, entryPoint(s.app)));
  const missing = entries.filter((path) => !existsSync(path));
  const sources = Math.max(newestSource(join(root, 'apps')), newestSource(join(root, 'libs')));
  // tsc leaves unchanged outputs alone, so a successful build also leaves a stamp.
  const oldestEntry = missing.length ? 0 : Math.min(...entries.map((p) => statSync(p).mtimeMs));
  const builtAt = Math.max(oldestEntry, existsSync(stamp) ? statSync(stamp).mtimeMs : 0);
  if (missing.length === 0 && builtAt >= sources) return;
  say(missing.length ? 'dist/ is missing entry points: building' : 'sources changed: building');
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    say('build failed');
    process.exit(result.status ?? 1);
  }
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
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

async function main() {
  buildIfStale();
  const startedAt = Date.now();
  const { concurrently } = await import('concurrently');
  const self = JSON.stringify(fileURLToPath(import.meta.url));
  const commands = SERVICES.map((service, index) => {
    const run = `node ${entryPoint(service.app)}`;
    const previous = SERVICES[index - 1];
    return {
      name: service.name,
      prefixColor: service.color,
      // The wait is part of the command, so concurrently owns (and stops) it as well.
      command: previous
        ? `node ${self} --wait-for ${baseUrl(previous)} --then ${entryPoint(service.app)}`
        : run,
      env: {
        PORT: String(service.port),
        NODE_ENV: process.env.NODE_ENV ?? 'development',
      },
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

  const caller = SERVICES[SERVICES.length - 1];
  void waitReady(baseUrl(caller)).then(async (ready) => {
    if (stopping) return;
    if (!ready) return say(`caller not ready after ${WAIT_TIMEOUT_MS / 1000} s`);
    say(`fleet ready ${Date.now() - startedAt} ms after the first start`);
    await firstCall(caller);
  });

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

/** Bare specifiers (packages) the built app imports, to load ahead of running it. */
function packagesImportedBy(entry) {
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
    for (const spec of packagesImportedBy(entry)) await import(spec).catch(() => undefined);
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
