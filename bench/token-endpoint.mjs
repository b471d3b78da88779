// Token endpoint throughput vs. bare jose signing of the same token, measured in one run.
//
//   npm run build && node bench/token-endpoint.mjs [seconds=3] [connections=16] [rounds=10]
//
// Method. The emulator runs as its own process (the built dist/ main.js on a free loopback
// port, its keys in a temporary COGNITO_EMULATOR_KEYS_FILE) and is driven with
// POST /oauth2/token (client_secret_basic, the demo client) by `connections` keep-alive
// connections. Bare signing runs in this process while the emulator idles: `connections`
// concurrent loops of jose's SignJWT with the emulator's own access-token key (read from
// that keys file, imported as jose imports any JWK), its kid, and the claims of a token
// the endpoint issued (fresh iat, exp and jti each time), so both sides sign the same
// bytes with the same key and have the same number of signatures in flight on libuv's
// thread pool.
//
// Rounds alternate (endpoint, bare, ...) after a warm-up of both; each pair runs back to
// back, so drifting machine load mostly cancels out. The result is the median of the
// per-round ratios; every round's ratio is printed, and so is CPU per token (the
// emulator's process from /proc, this process for bare signing), which other load on the
// machine moves far less than rates do.
//
// RSA signing is the physical limit, and a small machine runs the load generator too:
// the load comes from wrk (C) when installed, autocannon otherwise (see load.mjs); the
// output names the generator. Every response is checked: any non-2xx or socket error
// fails the run. The emulator inherits LOG_LEVEL (default info: one request log line per
// token, as deployed), and the output names the level.
// Goal (issue 12): endpoint / bare >= 0.80.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT } from 'jose';
import { freePort, load, loadTool, median, ms, withCpu } from './load.mjs';

const seconds = Number(process.argv[2] ?? 3);
const connections = Number(process.argv[3] ?? 16);
const rounds = Number(process.argv[4] ?? 10);
const root = fileURLToPath(new URL('..', import.meta.url));
const main = `${root}dist/apps/cognito-emulator/apps/cognito-emulator/src/main.js`;
if (!existsSync(main)) {
  console.error(`${main} not found: run "npm run build" first`);
  process.exit(1);
}

async function startEmulatorProcess(port, keysFile) {
  const child = spawn(process.execPath, [main], {
    cwd: root,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      COGNITO_EMULATOR_KEYS_FILE: keysFile,
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`emulator exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/metrics`)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('the emulator never answered');
}

const request = {
  method: 'POST',
  headers: {
    // DEV-ONLY demo secret of the emulator's demo pool.
    Authorization: `Basic ${Buffer.from('weather-caller:weather-caller-dev-secret').toString('base64')}`,
    'Content-Type': 'application/x-www-form-urlencoded',
  },
  body: 'grant_type=client_credentials',
};

/** Bare signing of `token`'s claims with the emulator's key for its kid, `connections` at a time. */
async function bareSigner(keysFile, token) {
  const { kid } = decodeProtectedHeader(token);
  const { keys } = JSON.parse(readFileSync(keysFile, 'utf8'));
  const stored = keys.find((k) => k.jwk.kid === kid);
  if (!stored) throw new Error(`the keys file has no key ${kid}`);
  const privateKey = await importJWK(stored.jwk, 'RS256');
  const { iat, exp, ...fixed } = decodeJwt(token);
  const validity = exp - iat;
  const sign = () => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      ...fixed,
      auth_time: now,
      exp: now + validity,
      iat: now,
      jti: randomUUID(),
    })
      .setProtectedHeader({ kid, alg: 'RS256' })
      .sign(privateKey);
  };
  return async (ms) => {
    const end = performance.now() + ms;
    const latencies = [];
    const worker = async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await sign();
        latencies.push(performance.now() - t);
      }
    };
    const start = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(Array.from({ length: connections }, worker));
    const elapsed = (performance.now() - start) / 1000;
    const { user, system } = process.cpuUsage(cpu);
    latencies.sort((a, b) => a - b);
    return {
      rps: latencies.length / elapsed,
      cpuMsPerRequest: (user + system) / 1000 / latencies.length,
      p50: latencies[Math.floor(latencies.length * 0.5)],
      p99: latencies[Math.floor(latencies.length * 0.99)],
    };
  };
}

const dir = mkdtempSync(join(tmpdir(), 'bench-token-endpoint-'));
const keysFile = join(dir, 'keys.json');
const port = await freePort();
const child = await startEmulatorProcess(port, keysFile);
const endpoint = [];
const bare = [];
const cpuText = (x) => (x === undefined ? 'n/a' : `${x.toFixed(3)} ms`);
try {
  const url = `http://127.0.0.1:${port}/oauth2/token`;
  const check = await fetch(url, request);
  const body = await check.json();
  if (check.status !== 200 || body.token_type !== 'Bearer') {
    throw new Error(`token endpoint answered ${check.status}`);
  }
  const sign = await bareSigner(keysFile, body.access_token);
  // Warm-up of both sides (JIT, connections, thread pool).
  await load({ url, ...request, connections, seconds: 2 });
  await sign(2000);
  console.log(
    `token endpoint vs bare jose SignJWT (same key, same claims): ${connections} concurrent, ` +
      `${seconds}s x ${rounds} rounds, load by ${loadTool}, ` +
      `emulator LOG_LEVEL=${process.env.LOG_LEVEL ?? 'info (default)'}`,
  );
  for (let i = 0; i < rounds; i++) {
    const e = await withCpu(child.pid, () => load({ url, ...request, connections, seconds }));
    if (e.bad) throw new Error(`${e.bad} failed requests (non-2xx or socket errors)`);
    const b = await sign(seconds * 1000);
    endpoint.push(e);
    bare.push(b);
    console.log(
      `  round ${String(i + 1).padStart(2)}: endpoint ${e.rps.toFixed(0)} tokens/s ` +
        `(p99 ${ms(e.p99)}, CPU ${cpuText(e.cpuMsPerRequest)}), bare ${b.rps.toFixed(0)} tokens/s ` +
        `(p99 ${ms(b.p99)}, CPU ${cpuText(b.cpuMsPerRequest)}), ratio ${(e.rps / b.rps).toFixed(2)}`,
    );
  }
} finally {
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

const line = (name, runs) =>
  `${name} ${median(runs.map((r) => r.rps)).toFixed(0)} tokens/s, p50 ${ms(median(runs.map((r) => r.p50)))}, p99 ${ms(median(runs.map((r) => r.p99)))} (medians)`;
console.log(line('token endpoint:   ', endpoint));
console.log(line('bare jose SignJWT:', bare));
const cpu = (runs) => median(runs.map((r) => r.cpuMsPerRequest ?? NaN));
console.log(
  `CPU per token (diagnostic, steadier under other load): endpoint process ${cpu(endpoint).toFixed(3)} ms, ` +
    `bare signing ${cpu(bare).toFixed(3)} ms, bare / endpoint ${(cpu(bare) / cpu(endpoint)).toFixed(2)}`,
);
const ratios = endpoint.map((r, i) => r.rps / bare[i].rps);
const ratio = median(ratios);
console.log(
  `ratio endpoint / bare: ${ratio.toFixed(2)} (median of ${rounds} rounds, ` +
    `range ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}; goal >= 0.80) ` +
    `${ratio >= 0.8 ? 'OK' : 'BELOW GOAL'}`,
);
