// Token endpoint throughput vs. bare jose signing of the same token, measured in one run,
// with a plain-HTTP reference between the two.
//
//   npm run build && node bench/token-endpoint.mjs [seconds=3] [connections=16] [rounds=10]
//
// Method. The emulator runs as its own process (the built dist/ main.js on a free loopback
// port, its keys in a temporary COGNITO_EMULATOR_KEYS_FILE) and is driven with
// POST /oauth2/token (client_secret_basic, the demo client) by `connections` keep-alive
// connections. Bare signing runs in this process while the servers idle: `connections`
// concurrent loops of jose's SignJWT with the emulator's own access-token key (read from
// that keys file, imported as jose imports any JWK), its kid, and the claims of a token
// the endpoint issued (fresh iat, exp and jti each time), so both sides sign the same
// bytes with the same key and have the same number of signatures in flight on libuv's
// thread pool.
//
// Bare signing has no HTTP and no load generator beside it. The third side,
// plain-token-server.mjs, is the least an HTTP endpoint can do here: node:http, no
// framework, logs, metrics or headers, the same signature path and thread priority as the
// emulator, driven by the same load. plain / bare is what HTTP and the load generator cost
// on this machine (the ceiling of any HTTP token endpoint on it); endpoint / plain is what
// the emulator's own work costs (Fastify, Nest, client authentication, form parsing,
// request logs, metrics, security headers).
//
// Each round runs the three sides back to back, in an order that rotates from round to
// round, after a warm-up of all three, so drifting machine load mostly cancels out. The
// results are medians of the per-round ratios; every round's rates and ratios are printed,
// and so is CPU per token (each server's process from /proc, this process for bare
// signing), which other load on the machine moves far less than rates do.
//
// RSA signing is the physical limit, and a small machine runs the load generator too:
// the load comes from wrk (C) when installed, autocannon otherwise (see load.mjs); the
// output names the generator. Every response is checked: any non-2xx or socket error
// fails the run. The emulator inherits LOG_LEVEL (default info: one request log line per
// token, as deployed), and the output names the level.
// Goal (issue 12): endpoint / bare >= 0.80.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import { buildIfStale, demoClient, launch, launchService, stopAll } from '../scripts/lib/fleet.mjs';
import { load, loadTool, median, ms, withCpu } from './load.mjs';

const seconds = Number(process.argv[2] ?? 3);
const connections = Number(process.argv[3] ?? 16);
const rounds = Number(process.argv[4] ?? 10);
if (!buildIfStale({ say: (m) => console.log(m) })) process.exit(1);

const client = demoClient('weather-caller');
const request = {
  method: 'POST',
  headers: {
    // DEV-ONLY demo secret of the emulator's demo pool.
    Authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
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
  const template = decodeJwt(token);
  const validity = template.exp - template.iat;
  const sign = () => {
    const now = Math.floor(Date.now() / 1000);
    // Spreading the template keeps the endpoint's claim order, so the bytes are the same.
    return new SignJWT({
      ...template,
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

/** Starts plain-token-server.mjs for `token`'s kid and claims; resolves with it and its URL. */
async function startPlainServer(keysFile, token) {
  const { kid } = decodeProtectedHeader(token);
  const server = launch([
    fileURLToPath(new URL('plain-token-server.mjs', import.meta.url)),
    keysFile,
    kid,
    JSON.stringify(decodeJwt(token)),
    request.headers.Authorization,
  ]);
  const [, port] = await server.untilOutput(/^port (\d+)$/m);
  return { server, url: `http://127.0.0.1:${port}/oauth2/token` };
}

const dir = mkdtempSync(join(tmpdir(), 'bench-token-endpoint-'));
const keysFile = join(dir, 'keys.json');
// Its request log (a line a token at LOG_LEVEL=info) is discarded: reading it here would
// take CPU from the measurement.
const emulator = await launchService('cognito-emulator', {
  env: { COGNITO_EMULATOR_KEYS_FILE: keysFile },
  stdout: false,
});
let plain;
const sides = ['endpoint', 'plain', 'bare'];
const runs = { endpoint: [], plain: [], bare: [] };
const cpuText = (x) => (x === undefined ? 'n/a' : `${x.toFixed(3)} ms`);
try {
  const url = `${emulator.url}/oauth2/token`;
  const check = await fetch(url, request);
  const body = await check.json();
  if (check.status !== 200 || body.token_type !== 'Bearer') {
    throw new Error(`token endpoint answered ${check.status}`);
  }
  plain = await startPlainServer(keysFile, body.access_token);
  // The reference must issue the same token (header, claims in the same order, lifetime),
  // signed with the emulator's key, and refuse a request without credentials.
  const plainToken = (await (await fetch(plain.url, request)).json()).access_token;
  const shape = (t) => {
    const claims = decodeJwt(t);
    const { auth_time: _authTime, iat, exp, jti: _jti, ...fixed } = claims;
    return JSON.stringify([decodeProtectedHeader(t), Object.keys(claims), fixed, exp - iat]);
  };
  const { iss } = decodeJwt(body.access_token);
  const jwks = await (await fetch(`${iss}/.well-known/jwks.json`)).json();
  await jwtVerify(plainToken, createLocalJWKSet(jwks));
  if (shape(plainToken) !== shape(body.access_token)) {
    throw new Error('plain-token-server issued a different token');
  }
  if ((await fetch(plain.url, { ...request, headers: {} })).status !== 401) {
    throw new Error('plain-token-server accepted a request without credentials');
  }
  const sign = await bareSigner(keysFile, body.access_token);
  const measure = {
    endpoint: () => withCpu(emulator.pid, () => load({ url, ...request, connections, seconds })),
    plain: () =>
      withCpu(plain.server.pid, () => load({ url: plain.url, ...request, connections, seconds })),
    bare: () => sign(seconds * 1000),
  };
  // Warm-up of every side (JIT, connections, thread pools).
  await load({ url, ...request, connections, seconds: 2 });
  await load({ url: plain.url, ...request, connections, seconds: 2 });
  await sign(2000);
  console.log(
    `token endpoint vs plain node:http vs bare jose SignJWT (same key, same claims): ` +
      `${connections} concurrent, ${seconds}s x ${rounds} rounds, load by ${loadTool}, ` +
      `emulator LOG_LEVEL=${process.env.LOG_LEVEL ?? 'info (default)'}`,
  );
  for (let i = 0; i < rounds; i++) {
    const round = {};
    for (const side of [...sides.slice(i % 3), ...sides.slice(0, i % 3)]) {
      round[side] = await measure[side]();
      if (round[side].bad) {
        throw new Error(`${side}: ${round[side].bad} failed requests (non-2xx or socket errors)`);
      }
      runs[side].push(round[side]);
    }
    const text = (side) =>
      `${side} ${round[side].rps.toFixed(0)}/s (p99 ${ms(round[side].p99)}, ` +
      `CPU ${cpuText(round[side].cpuMsPerRequest)})`;
    console.log(
      `  round ${String(i + 1).padStart(2)}: ${sides.map(text).join(', ')}; ` +
        `endpoint/bare ${(round.endpoint.rps / round.bare.rps).toFixed(2)}, ` +
        `plain/bare ${(round.plain.rps / round.bare.rps).toFixed(2)}`,
    );
  }
} finally {
  await stopAll([emulator, plain?.server]);
  rmSync(dir, { recursive: true, force: true });
}

const names = {
  endpoint: 'token endpoint:   ',
  plain: 'plain node:http:  ',
  bare: 'bare jose SignJWT:',
};
for (const side of sides) {
  const r = runs[side];
  console.log(
    `${names[side]} ${median(r.map((x) => x.rps)).toFixed(0)} tokens/s, p50 ${ms(median(r.map((x) => x.p50)))}, ` +
      `p99 ${ms(median(r.map((x) => x.p99)))} (medians)`,
  );
}
const cpu = (side) => median(runs[side].map((r) => r.cpuMsPerRequest ?? NaN)).toFixed(3);
console.log(
  `CPU per token (diagnostic, steadier under other load): endpoint process ${cpu('endpoint')} ms, ` +
    `plain server ${cpu('plain')} ms, bare signing ${cpu('bare')} ms`,
);
const ratio = (a, b) => {
  const xs = runs[a].map((r, i) => r.rps / runs[b][i].rps);
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
};
const range = (r) => `${r.median.toFixed(2)} (range ${r.min.toFixed(2)}-${r.max.toFixed(2)})`;
const goal = ratio('endpoint', 'bare');
console.log(
  `plain / bare: ${range(ratio('plain', 'bare'))}: HTTP and the load generator, the ceiling here`,
);
console.log(
  `endpoint / plain: ${range(ratio('endpoint', 'plain'))}: the emulator's own per-request work`,
);
console.log(
  `ratio endpoint / bare: ${range(goal)}, median of ${rounds} rounds; goal >= 0.80 ` +
    `${goal.median >= 0.8 ? 'OK' : 'BELOW GOAL'}`,
);
