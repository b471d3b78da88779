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
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  buildIfStale,
  entryPoint,
  root,
  SERVICES,
  waitReady as waitUntilReady,
} from './lib/fleet.mjs';

const WAIT_TIMEOUT_MS = 60_000;

const baseUrl = (service) => `http://127.0.0.1:${service.port}`;
const waitReady = (url) => waitUntilReady(url, { timeoutMs: WAIT_TIMEOUT_MS });

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

async function main() {
  if (!buildIfStale({ say })) process.exit(1);
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
