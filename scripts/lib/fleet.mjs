// Shared by scripts/start.mjs, scripts/demo.mjs, bench/ (fleet.mjs, load.mjs) and the
// cross-service e2e (test/): where the built entry points are, when dist/ is stale,
// readiness probes, free ports, starting/stopping a service as its own process group, and
// how a local fleet is wired together (over HTTPS with COGNITO_EMULATOR_TLS=true).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
 * capped, it collects sooner (RSS ~130-136 MiB) with every call answered.
 */
export const FLEET_NODE_OPTIONS = '--max-old-space-size=96 --max-semi-space-size=8';

/** The built entry point of an app, relative to the root (as npm start and the Dockerfile run it). */
export const entryPoint = (app) => join('dist', 'apps', app, 'apps', app, 'src', 'main.js');

/**
 * Where `npm start` and the demo keep the emulator's DEV-ONLY files (git-ignored dist/): its
 * signing keys, so tokens outlive a restart, and with COGNITO_EMULATOR_TLS=true its dev CA
 * (`ca.pem`, the one to trust), so the trust does too.
 */
export const DEV_KEYS_FILE = join(root, 'dist', 'cognito-emulator.dev.keys.json');
export const DEV_TLS_DIR = join(root, 'dist', 'cognito-emulator.dev-tls');

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

/** The demo pool (libs/fleet-auth/pool.json), as it is now (`new:service` edits it). */
const pool = () => JSON.parse(readFileSync(POOL_FILE, 'utf8'));

/** A client of the demo pool: its id and its DEV-ONLY secret. */
export function demoClient(id) {
  const found = pool().clients.find((c) => c.clientId === id);
  return { id, secret: found?.clientSecret ?? '' };
}

/** The demo pool's issuer on an emulator at `emulatorUrl`. */
export const demoIssuer = (emulatorUrl) => `${emulatorUrl}/${pool().userPoolId}`;

/**
 * The variables that wire `app` of a local fleet to the others at `urls` (base URLs by app),
 * in the demo pool: resource servers get the emulator's issuer; the caller its token
 * endpoint, weather-api's URL and the pool's two DEV-ONLY clients of weather-api.
 */
export function localWiring(app, urls) {
  if (app === 'cognito-emulator') return {};
  if (app !== 'caller') return { AUTH_ISSUER: demoIssuer(urls['cognito-emulator']) };
  const [read, write] = ['weather-caller', 'weather-admin'].map(demoClient);
  const [readScope, writeScope] = ['weather-api/forecast.read', 'weather-api/forecast.write'];
  return {
    WEATHER_API_URL: urls['weather-api'],
    OAUTH_TOKEN_URL: `${urls['cognito-emulator']}/oauth2/token`,
    OAUTH_CLIENT_ID: read.id,
    OAUTH_CLIENT_SECRET: read.secret,
    OAUTH_SCOPES: readScope,
    OAUTH_WRITE_CLIENT_ID: write.id,
    OAUTH_WRITE_CLIENT_SECRET: write.secret,
    OAUTH_WRITE_SCOPES: `${readScope} ${writeScope}`,
  };
}

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
  const module = join(
    dirname(join(root, entryPoint('cognito-emulator'))),
    'tls',
    'https-options.js',
  );
  const { prepareDevCa } = await import(pathToFileURL(module).href);
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

/**
 * The `node` arguments that load an app's tracing entry point (built beside it) before the
 * app, as npm start, the Dockerfile and the tests run every service: OpenTelemetry starts
 * there when an OTLP endpoint or OTEL_TRACES_EXPORTER is set, and nothing loads otherwise.
 */
export const tracingImport = (app) => [
  '--import',
  `./${join('dist', 'apps', app, 'libs', 'auth', 'src', 'observability', 'register-tracing.js')}`,
];

/** The built outputs-to-env script (`npm run infra:env`), relative to the root. */
export const INFRA_ENV_SCRIPT = join('dist', 'infra', 'infra', 'src', 'outputs-to-env.main.js');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * 'ready' when /health/ready answers 200; where a service has no readiness probe (404),
 * /health answering 200, or, with neither wired, the service answering HTTP at all.
 * 'not-ready' for any other answer, 'down' when nothing answers.
 */
export async function probe(url) {
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

/** Polls `probe(url)` until ready (true) or the timeout (false); `alive()` false stops early. */
export async function waitReady(url, { timeoutMs = 60_000, pollMs = 100, alive } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await probe(url)) === 'ready') return true;
    if (alive && !alive()) return false;
    await sleep(pollMs);
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

/**
 * Starts `node <args>` in the root as its own process group (so stopping it reaches any
 * child), with `env` added to this process's environment. Output is kept (last 256 KiB)
 * and, with `onOutput`, passed on as it arrives.
 */
export function launch(args, { env = {}, onOutput } = {}) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const handle = {
    child,
    pid: child.pid,
    output: '',
    exited: false,
    exit: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        handle.exited = true;
        resolve({ code, signal });
      });
      child.once('error', (error) => {
        handle.exited = true;
        handle.output += `\n${String(error)}\n`;
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
  };
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      handle.output = (handle.output + chunk).slice(-256 * 1024);
      onOutput?.(chunk);
    });
  }
  return handle;
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

/** Resident memory of a process in MiB, from /proc/<pid>/status (Linux); undefined elsewhere. */
export async function rssMiB(pid) {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}
