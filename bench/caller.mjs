// GET /forecast through the caller: the M2M HttpService (token interceptor, warm cache)
// against the same app with the interceptors removed and a fixed, pre-set Authorization
// header, measured in one run.
//
//   npm run build && node bench/caller.mjs [seconds=10] [connections=16]
//
// The emulator, weather-api and each caller run as their own processes from dist/ on free
// loopback ports, so autocannon's load generator shares no event loop with them. The two
// callers run one after the other, in four alternating rounds (the machine's load drifts). Goal: interceptor / fixed
// >= 0.95, and one token request per caller process (counted at the emulator).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';

const root = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = 4;
const dist = (app) => `${root}dist/apps/${app}/apps/${app}/src/main.js`;

if (process.argv[2] === '--serve') {
  await serveCaller(process.argv[3]);
} else {
  await main();
}

/** Child mode: a caller process, with ("m2m") or without ("fixed") the token interceptor. */
async function serveCaller(mode) {
  const base = `${root}dist/apps/caller/`;
  const { startCaller } = await import(pathToFileURL(`${base}apps/caller/src/bootstrap.js`).href);
  const auth = await import(pathToFileURL(`${base}libs/auth/src/index.js`).href);
  const caller = await startCaller({ ...process.env, PORT: '0' }, { logger: ['error', 'warn'] });
  if (mode === 'fixed') {
    const http = caller.app.get(auth.getM2MHttpServiceToken('weather-read'));
    const token = await caller.app.get(auth.getTokenProviderToken('weather-read')).getToken();
    http.axiosRef.interceptors.request.clear();
    http.axiosRef.interceptors.response.clear();
    http.axiosRef.defaults.headers.common.Authorization = `Bearer ${token}`;
  }
  process.send({ url: caller.url });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitForHealth(url, child, path = '/health') {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}${path}`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}${path} never answered`);
}

async function startService(app, port, env, readyPath) {
  const child = spawn(process.execPath, [dist(app)], {
    cwd: root,
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port), NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForHealth(`http://127.0.0.1:${port}`, child, readyPath);
  return child;
}

function startCallerProcess(mode, env) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', mode], {
    cwd: root,
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', ({ url }) => resolve({ child, url }));
    child.once('exit', (code) => reject(new Error(`caller (${mode}) exited with ${code}`)));
  });
}

function load(url, duration, connections) {
  return autocannon({ url: `${url}/forecast`, connections, duration });
}

async function tokenRequests(emulatorUrl, clientId) {
  const text = await (await fetch(`${emulatorUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('cognito_emulator_token_requests_total{') &&
        l.includes(`client_id="${clientId}"`),
    )
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

async function main() {
  const seconds = Number(process.argv[2] ?? 10);
  const connections = Number(process.argv[3] ?? 16);
  for (const app of ['cognito-emulator', 'weather-api', 'caller']) {
    if (!existsSync(dist(app))) {
      console.error(`${dist(app)} not found: run "npm run build" first`);
      process.exit(1);
    }
  }
  const [emulatorPort, apiPort] = [await freePort(), await freePort()];
  const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const children = [];
  try {
    children.push(await startService('cognito-emulator', emulatorPort, {}, '/metrics'));
    children.push(
      await startService('weather-api', apiPort, {
        AUTH_ISSUER: `${emulatorUrl}/local_weather`,
        LOG_LEVEL: 'warn',
      }),
    );
    const callerEnv = {
      WEATHER_API_URL: apiUrl,
      OAUTH_TOKEN_URL: `${emulatorUrl}/oauth2/token`,
      OAUTH_CLIENT_ID: 'weather-caller',
      OAUTH_CLIENT_SECRET: 'weather-caller-dev-secret', // dev-only demo secret
      OAUTH_SCOPES: 'weather-api/forecast.read',
      OAUTH_WRITE_CLIENT_ID: 'weather-admin',
      OAUTH_WRITE_CLIENT_SECRET: 'weather-admin-dev-secret', // dev-only demo secret
    };
    const m2m = await startCallerProcess('m2m', callerEnv);
    const fixed = await startCallerProcess('fixed', callerEnv);
    children.push(m2m.child, fixed.child);

    // Warm both (token cached, JIT, key set at weather-api), then alternate four rounds each.
    await load(m2m.url, 2, connections);
    await load(fixed.url, 2, connections);
    const results = { m2m: [], fixed: [] };
    for (let round = 0; round < ROUNDS; round++) {
      results.m2m.push(await load(m2m.url, seconds / ROUNDS, connections));
      results.fixed.push(await load(fixed.url, seconds / ROUNDS, connections));
    }
    const summary = (runs) => {
      const requests = runs.reduce((s, r) => s + r.requests.total, 0);
      const duration = runs.reduce((s, r) => s + r.duration, 0);
      const errors = runs.reduce((s, r) => s + r.errors + r.non2xx, 0);
      return {
        rps: requests / duration,
        p99: Math.max(...runs.map((r) => r.latency.p99)),
        errors,
      };
    };
    const a = summary(results.m2m);
    const b = summary(results.fixed);
    const tokens = await tokenRequests(emulatorUrl, 'weather-caller');
    const ratio = a.rps / b.rps;
    console.log(
      `GET /forecast via caller, ${connections} connections, ${seconds}s each, ${ROUNDS} rounds`,
    );
    console.log(
      `  interceptor (warm cache): ${a.rps.toFixed(0)} req/s, p99 ${a.p99} ms, errors ${a.errors}`,
    );
    console.log(
      `  fixed Authorization:      ${b.rps.toFixed(0)} req/s, p99 ${b.p99} ms, errors ${b.errors}`,
    );
    console.log(`  ratio interceptor/fixed: ${ratio.toFixed(3)} (goal >= 0.95)`);
    console.log(
      `  token requests at the emulator for weather-caller: ${tokens} (2 caller processes; goal 1 each)`,
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
  }
}
