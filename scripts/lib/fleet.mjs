// The fleet kit: the one way to run the fleet's services as processes, shared by `npm start`
// (scripts/start.mjs), `npm run demo` (scripts/demo.mjs), the benches (bench/) and the
// cross-service e2e (test/). Where the built entry points are and when dist/ is stale; how a
// local fleet is wired (the demo pool's clients, over HTTPS with COGNITO_EMULATOR_TLS=true);
// starting a service from dist/ with its tracing entry point as its own process group,
// waiting until it is ready, stopping it; and what the emulator counted.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The fleet in readiness order, with the ports `npm start` uses, from `fleet.json` beside
 * this file: the one list of services (`npm run new:service` adds to it). `after`: the
 * service whose readiness this one's start waits for (its own readiness depends on it:
 * weather-api's on the issuer's key set, the caller's on a token), so the services after
 * the emulator start side by side once it is ready. `protectedPath`: a route of a resource
 * server that needs a token.
 */
export const SERVICES = JSON.parse(
  readFileSync(join(root, 'scripts', 'lib', 'fleet.json'), 'utf8'),
).services;

/** The user pool definition the emulator loads by default, and the new-service command edits. */
export const POOL_FILE = join(root, 'libs', 'fleet-auth', 'pool.json');

/**
 * V8 heap limits every service of the fleet runs with unless NODE_OPTIONS is set (npm start,
 * bench/fleet.mjs; the Dockerfile sets the same). Left alone, V8 lets old-space garbage grow
 * to ~100 MiB under load (RSS ~210-245 MiB after 10,000 calls) although ~40 MiB is live;
 * capped, it collects sooner, with every call answered (see also {@link FLEET_GLIBC_TUNABLES}).
 */
export const FLEET_NODE_OPTIONS = '--max-old-space-size=96 --max-semi-space-size=8';

/**
 * glibc malloc setting every service of the fleet runs with unless GLIBC_TUNABLES is set (the
 * same places as {@link FLEET_NODE_OPTIONS}). Under load V8 optimizes again, after each full
 * GC, the per-request closures of axios, Express and helmet, on its worker threads, in 32 KiB
 * zone segments from malloc. Left alone, glibc raises its mmap threshold after the first large
 * free, so those segments come from per-thread arenas, which keep them once freed: 20-45 MiB
 * of free memory in each of the caller and weather-api after 10,000 calls (malloc_info; RSS
 * 146-172 MiB). A fixed 32 KiB threshold maps each segment on its own and unmaps it when V8
 * frees it (RSS 129-135 MiB; about one mmap/munmap pair per two calls, on V8's threads, none
 * on the request path). musl (Alpine) ignores it.
 */
export const FLEET_GLIBC_TUNABLES = 'glibc.malloc.mmap_threshold=32768';

/** A file of an app's build, relative to the root: `dist/apps/<app>/<path...>`. */
export const built = (app, ...path) => join('dist', 'apps', app, ...path);

/** The built entry point of an app, relative to the root (as npm start and the Dockerfile run it). */
export const entryPoint = (app) => built(app, 'apps', app, 'src', 'main.js');

/**
 * The `node` arguments that load an app's tracing entry point (built beside it) before the
 * app, as npm start, the Dockerfile and the tests run every service: OpenTelemetry starts
 * there when an OTLP endpoint or OTEL_TRACES_EXPORTER is set, and nothing loads otherwise.
 */
export const tracingImport = (app) => [
  '--import',
  `./${built(app, 'libs', 'auth', 'src', 'observability', 'register-tracing.js')}`,
];

/** The built outputs-to-env script (`npm run infra:env`), relative to the root. */
export const INFRA_ENV_SCRIPT = join('dist', 'infra', 'infra', 'src', 'outputs-to-env.main.js');

/**
 * Where `npm start` and the demo keep the emulator's DEV-ONLY files (git-ignored dist/): its
 * signing keys, so tokens outlive a restart, and with COGNITO_EMULATOR_TLS=true its dev CA
 * (`ca.pem`, the one to trust), so the trust does too.
 */
export const DEV_KEYS_FILE = join(root, 'dist', 'cognito-emulator.dev.keys.json');
export const DEV_TLS_DIR = join(root, 'dist', 'cognito-emulator.dev-tls');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------
// Building dist/

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

const STAMP = join(root, 'dist', '.start-build-stamp');

/** Why dist/ needs a build ('missing' | 'stale'), or undefined when it is current. */
export function buildNeeded() {
  const entries = [
    ...SERVICES.map((s) => join(root, entryPoint(s.app))),
    join(root, INFRA_ENV_SCRIPT),
  ];
  if (entries.some((path) => !existsSync(path))) return 'missing';
  const sources = Math.max(
    ...['apps', 'libs', 'infra'].map((dir) => newestSource(join(root, dir))),
  );
  // tsc leaves unchanged outputs alone, so a successful build also leaves a stamp.
  const oldestEntry = Math.min(...entries.map((p) => statSync(p).mtimeMs));
  const builtAt = Math.max(oldestEntry, existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0);
  return builtAt >= sources ? undefined : 'stale';
}

/**
 * Runs `npm run build` when an entry point is missing or older than the sources.
 * Returns true when dist/ is current afterwards; `say` narrates, `stdio` goes to the build.
 */
export function buildIfStale({ say = console.log, stdio = 'inherit' } = {}) {
  const reason = buildNeeded();
  if (!reason) return true;
  say(
    reason === 'missing' ? 'dist/ is missing entry points: building' : 'sources changed: building',
  );
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio });
  if (result.status !== 0) {
    say('build failed');
    return false;
  }
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  return true;
}

// ---------------------------------------------------------------------------------------
// The demo pool and how a local fleet is wired

/** The demo pool (libs/fleet-auth/pool.json), as it is now (`new:service` edits it). */
const pool = () => JSON.parse(readFileSync(POOL_FILE, 'utf8'));

/**
 * A client of the demo pool: its id, its DEV-ONLY secret (the newest, when the pool lists two:
 * `clientSecret` is one secret or a list, oldest first) and the scopes it may have. The one
 * reader of the demo credentials: start, demo, benches and tests take them from the pool.
 */
export function demoClient(id) {
  const found = pool().clients.find((c) => c.clientId === id);
  const secret = [found?.clientSecret ?? []].flat().at(-1);
  if (!secret) throw new Error(`${POOL_FILE} has no confidential client ${id}`);
  return { id, secret, scopes: found.allowedOAuthScopes ?? [] };
}

/** The demo pool's issuer on an emulator at `emulatorUrl`. */
export const demoIssuer = (emulatorUrl) => `${emulatorUrl}/${pool().userPoolId}`;

/**
 * The variables that wire `app` of a local fleet to the others at `urls` (base URLs by app),
 * in the demo pool: resource servers get the emulator's issuer; the caller its token
 * endpoint, weather-api's URL and the pool's two DEV-ONLY clients of weather-api, each with
 * every scope it may have.
 */
export function localWiring(app, urls) {
  if (app === 'cognito-emulator') return {};
  if (app !== 'caller') return { AUTH_ISSUER: demoIssuer(urls['cognito-emulator']) };
  const [read, write] = ['weather-caller', 'weather-admin'].map(demoClient);
  return {
    WEATHER_API_URL: urls['weather-api'],
    OAUTH_TOKEN_URL: `${urls['cognito-emulator']}/oauth2/token`,
    OAUTH_CLIENT_ID: read.id,
    OAUTH_CLIENT_SECRET: read.secret,
    OAUTH_SCOPES: read.scopes.join(' '),
    OAUTH_WRITE_CLIENT_ID: write.id,
    OAUTH_WRITE_CLIENT_SECRET: write.secret,
    OAUTH_WRITE_SCOPES: write.scopes.join(' '),
  };
}

/**
 * The emulator's files as `npm start` and the demo give them: {@link DEV_KEYS_FILE} and
 * {@link DEV_TLS_DIR}, unless `env` names the keys file (the dev CA is then kept beside it,
 * the emulator's default) or the TLS folder.
 */
export function emulatorDevFiles(env = process.env) {
  if (env.COGNITO_EMULATOR_KEYS_FILE) return {};
  return {
    COGNITO_EMULATOR_KEYS_FILE: DEV_KEYS_FILE,
    ...(!env.COGNITO_EMULATOR_TLS_DIR && { COGNITO_EMULATOR_TLS_DIR: DEV_TLS_DIR }),
  };
}

/**
 * The local fleet's one HTTPS switch, `COGNITO_EMULATOR_TLS=true` where `npm start` or the
 * demo runs: the emulator serves HTTPS, and the others verify against and fetch tokens from it
 * over HTTPS, trusting its dev CA.
 */
export const tlsSwitch = (env = process.env) => env.COGNITO_EMULATOR_TLS?.trim() === 'true';

/** A service's loopback URL: `https:` for the emulator when `tls`, else `http:`. */
export const localUrl = (app, port, tls = false) =>
  `${tls && app === 'cognito-emulator' ? 'https' : 'http'}://127.0.0.1:${port}`;

/**
 * Readies a local fleet for an emulator over HTTPS before any of it starts: the emulator's
 * dev CA and certificate, made now by the emulator's own code from dist/ for its environment
 * `emulatorEnv` (added to this process's), and trusted by this process (its probes and
 * calls). Returns what the other services need: `NODE_EXTRA_CA_CERTS`, the CA file, which
 * Node reads once at process start, hence now, before they start (they do not wait for the
 * emulator to load their code). With your own certificate (COGNITO_EMULATOR_TLS_CERT),
 * nothing: the NODE_EXTRA_CA_CERTS you set, if any, is every process's.
 */
export async function prepareTls(emulatorEnv = {}) {
  const module = join(root, built('cognito-emulator', 'apps', 'cognito-emulator', 'src'));
  const { prepareDevCa } = await import(
    pathToFileURL(join(module, 'tls', 'https-options.js')).href
  );
  const caFile = await prepareDevCa({ ...process.env, ...emulatorEnv }, root);
  if (!caFile) return {};
  if (process.env.NODE_EXTRA_CA_CERTS !== caFile) {
    if (typeof tls.setDefaultCACertificates !== 'function') {
      throw new Error(
        `Node ${process.version} cannot trust a CA after its start (no tls.setDefaultCACertificates): use Node 24, or run again with NODE_EXTRA_CA_CERTS=${caFile}`,
      );
    }
    const ca = readFileSync(caFile, 'utf8');
    tls.setDefaultCACertificates([...tls.getCACertificates('default'), ca]);
  }
  return { NODE_EXTRA_CA_CERTS: caFile };
}

// ---------------------------------------------------------------------------------------
// Talking to the emulator

/** A client-credentials token from `tokenUrl` for `client` (client_secret_basic); throws unless 200. */
export async function fetchToken(tokenUrl, client, scope) {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope && { scope }) }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.json().catch(() => ({}));
  if (res.status !== 200 || typeof body.access_token !== 'string') {
    throw new Error(`token endpoint answered ${res.status} for ${client.id}`);
  }
  return body.access_token;
}

const TOKEN_REQUESTS = 'cognito_emulator_token_requests_total';

/**
 * Every series of the emulator's token-request counter at `emulatorUrl`/metrics: its
 * `client_id`, `outcome`, count and the line as the emulator wrote it.
 */
export async function tokenRequestSeries(emulatorUrl) {
  const res = await fetch(`${emulatorUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${emulatorUrl}/metrics answered ${res.status}`);
  const series = [];
  for (const line of (await res.text()).split('\n')) {
    if (!line.startsWith(`${TOKEN_REQUESTS}{`)) continue;
    const labels = Object.fromEntries(
      [...line.slice(0, line.lastIndexOf('}')).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(
        ([, name, value]) => [name, value],
      ),
    );
    const count = Number(line.slice(line.lastIndexOf(' ') + 1));
    series.push({ clientId: labels.client_id, outcome: labels.outcome, count, line });
  }
  return series;
}

/** Token requests the emulator counted for `clientId`: every outcome, or only `outcome`. */
export async function tokenRequests(emulatorUrl, clientId, { outcome } = {}) {
  return (await tokenRequestSeries(emulatorUrl))
    .filter((s) => s.clientId === clientId && (outcome === undefined || s.outcome === outcome))
    .reduce((sum, s) => sum + s.count, 0);
}

// ---------------------------------------------------------------------------------------
// Processes

/** A TCP port free on 127.0.0.1 right now (listen on 0, read it, close). */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Signals a whole process group; quiet when it is already gone. */
export function killGroup(pid, signal) {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // gone already
  }
}

/** Resident (`rss`) and peak resident (`peak`) memory of a process in MiB, from /proc (Linux). */
export async function memoryMiB(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const mib = (field) => {
      const kb = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1];
      return kb === undefined ? undefined : Number(kb) / 1024;
    };
    return { rss: mib('VmRSS'), peak: mib('VmHWM') };
  } catch {
    return {};
  }
}

const OUTPUT_KEPT = 256 * 1024;

/**
 * Starts `node <args>` in the root as its own process group (so stopping it reaches any
 * child), with `env` added to this process's environment. The last 256 KiB of its output are
 * kept (`output`; with `stdout: false` only standard error's, its standard output discarded
 * as a bench's log-heavy server needs) and, with `onLine`, passed on line by line.
 */
export function launch(args, { env = {}, onLine, stdout = true } = {}) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', stdout ? 'pipe' : 'ignore', 'pipe'],
  });
  const chunks = [];
  let kept = 0;
  const keep = (chunk) => {
    chunks.push(chunk);
    kept += chunk.length;
    while (kept - chunks[0].length >= OUTPUT_KEPT) kept -= chunks.shift().length;
  };
  const handle = {
    child,
    pid: child.pid,
    exited: false,
    get output() {
      return chunks.join('').slice(-OUTPUT_KEPT);
    },
    // 'close': exited, and its output read to the end.
    exit: new Promise((resolve) => {
      child.once('close', (code, signal) => {
        handle.exited = true;
        resolve({ code, signal });
      });
      child.once('error', (error) => {
        handle.exited = true;
        keep(`\n${String(error)}\n`);
        resolve({ code: null, signal: null });
      });
    }),
    /** SIGTERM to the group; SIGKILL after `graceMs`. Resolves once the leader has exited. */
    async stop(graceMs = 5000) {
      if (handle.exited) return;
      killGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
      await handle.exit;
      clearTimeout(timer);
    },
    /** SIGKILL to the group (a crash); resolves once the leader has exited. */
    async kill() {
      killGroup(child.pid, 'SIGKILL');
      await handle.exit;
    },
    /** Resolves with the first match of `pattern` in the output; rejects at exit or `timeoutMs`. */
    untilOutput(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const done = (error, match) => {
          clearTimeout(timer);
          for (const stream of [child.stdout, child.stderr]) stream?.off('data', check);
          if (error) reject(new Error(`${error}; its last output:\n${handle.output.slice(-4000)}`));
          else resolve(match);
        };
        const check = () => {
          const match = pattern.exec(handle.output);
          if (match) done(undefined, match);
        };
        const timer = setTimeout(() => done(`no ${pattern} after ${timeoutMs} ms`), timeoutMs);
        for (const stream of [child.stdout, child.stderr]) stream?.on('data', check);
        void handle.exit.then(() => done(`exited before printing ${pattern}`));
        check();
      });
    },
  };
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    stream.setEncoding('utf8');
    let partial = '';
    stream.on('data', (chunk) => {
      keep(chunk);
      if (!onLine) return;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) onLine(line);
    });
    stream.once('end', () => partial && onLine?.(partial));
  }
  return handle;
}

/**
 * 'ready' when `url` + `path` (default /health/ready) answers 200 within a second,
 * 'not-ready' for any other answer, 'down' when nothing answers.
 */
export async function probe(url, path = '/health/ready') {
  try {
    const res = await fetch(url + path, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok ? 'ready' : 'not-ready';
  } catch {
    return 'down';
  }
}

/**
 * The one wait-until loop: polls `check()` every `pollMs` until it holds (true) or
 * `timeoutMs` has passed (false); `alive()` turning false stops it early.
 */
export async function pollUntil(check, { timeoutMs = 60_000, pollMs = 20, alive } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    if (alive && !alive()) return false;
    await sleep(pollMs);
  }
  return false;
}

/** Polls `probe(url, path)` until ready (true) or the timeout (false); see {@link pollUntil}. */
export const waitReady = (url, { path = '/health/ready', ...options } = {}) =>
  pollUntil(async () => (await probe(url, path)) === 'ready', options);

/** What a service's readiness waits for: /health/ready, or /health/live (one meant to stay unready). */
const PROBES = { ready: '/health/ready', live: '/health/live' };

/** A service that did not become ready (or live): `summary` names it, the message adds its output. */
export class ServiceNotReadyError extends Error {
  constructor(summary, output) {
    super(`${summary}; its last output:\n${output.slice(-4000)}`);
    this.name = 'ServiceNotReadyError';
    this.summary = summary;
  }
}

/**
 * Starts `app` from dist/ as its own process group, with its tracing entry point and the
 * orphan guard (it stops itself when the process that started it is gone), on `port` (default:
 * a free one) of 127.0.0.1, and by default waits until it is ready (`until`: 'ready' for
 * /health/ready, 'live' for /health/live, false for not at all). `env` goes over this
 * process's environment and the kit's (HOST=127.0.0.1, OTEL_SERVICE_NAME, PORT; with `heapCap`,
 * the fleet's memory settings: NODE_OPTIONS={@link FLEET_NODE_OPTIONS} and
 * GLIBC_TUNABLES={@link FLEET_GLIBC_TUNABLES}, each unless set). `after`: a URL whose readiness the
 * process awaits, its code loaded meanwhile, before the app starts (as npm start runs the
 * services after the emulator). `script`: what node runs instead of the entry point (a bench's
 * variant of the app); `nodeArgs` go before it. When it is not ready in time it is stopped, and
 * the error names it and shows its last output.
 */
export async function launchService(app, options = {}) {
  const { name = app, env = {}, nodeArgs = [], script, after, heapCap = false } = options;
  const { until = 'ready', timeoutMs = 30_000, tls = false, onLine, stdout } = options;
  if (script && after) throw new Error(`${name}: \`after\` runs the entry point, not a script`);
  const port = options.port ?? (await freePort());
  const proc = launch(
    [
      ...['--import', `./${join('scripts', 'lib', 'orphan-guard.mjs')}`],
      ...tracingImport(app),
      ...nodeArgs,
      ...(after ? [join('scripts', 'lib', 'run-after-ready.mjs'), after] : []),
      ...(script ?? [entryPoint(app)]),
    ],
    {
      env: {
        HOST: '127.0.0.1',
        OTEL_SERVICE_NAME: app,
        ...(heapCap && {
          NODE_OPTIONS: process.env.NODE_OPTIONS ?? FLEET_NODE_OPTIONS,
          GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? FLEET_GLIBC_TUNABLES,
        }),
        ...env,
        PORT: String(port),
      },
      onLine,
      stdout,
    },
  );
  const service = Object.assign(proc, {
    app,
    name,
    port,
    url: localUrl(app, port, tls),
    /** Resident memory now, in MiB (undefined once it exited). */
    rssMiB: async () => (await memoryMiB(proc.pid)).rss,
    /** Waits until it answers `/health/ready` (or `/health/live`); throws {@link ServiceNotReadyError}. */
    async ready(state = 'ready', { timeoutMs: limit = timeoutMs } = {}) {
      const alive = () => !proc.exited;
      if (await waitReady(service.url, { path: PROBES[state], timeoutMs: limit, alive })) return;
      const exit = proc.exited ? await proc.exit : undefined;
      throw new ServiceNotReadyError(
        exit
          ? `${name} exited (${exit.code ?? exit.signal}) before it was ${state}`
          : `${name} not ${state} after ${limit / 1000} s`,
        proc.output,
      );
    },
  });
  if (until) {
    try {
      await service.ready(until);
    } catch (error) {
      await proc.stop(1000);
      throw error;
    }
  }
  return service;
}

/** Stops every process of `processes` at once (SIGTERM, SIGKILL after `graceMs`). */
export async function stopAll(processes, graceMs = 5000) {
  await Promise.all([...processes].map((p) => p?.stop(graceMs)));
}
