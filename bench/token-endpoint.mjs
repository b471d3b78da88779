// Token endpoint throughput vs. bare jose signing, measured in one run.
//
//   npm run build && node bench/token-endpoint.mjs [seconds=10] [connections=16] [rounds=3]
//
// The emulator runs as its own process (the built dist/ main.js on a free
// loopback port) so autocannon's load generator and the server do not share
// one event loop. Bare signing runs in this process with the same concurrency
// while the server idles. Rounds alternate (endpoint, bare, endpoint, ...) and
// the medians are compared, so a noisy neighbour hits both sides alike.
// RS256 signing is the physical limit; the goal is endpoint / bare >= 0.7.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { generateKeyPair, SignJWT } from 'jose';

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 16);
const rounds = Number(process.argv[4] ?? 3);
const root = fileURLToPath(new URL('..', import.meta.url));
const main = `${root}dist/apps/cognito-emulator/apps/cognito-emulator/src/main.js`;
if (!existsSync(main)) {
  console.error(`${main} not found: run "npm run build" first`);
  process.exit(1);
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

async function startEmulatorProcess(port) {
  const child = spawn(process.execPath, [main], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('listening on')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`emulator exited with ${code}:\n${out}`)));
  });
  child.stdout.resume();
  return child;
}

function load(url, duration) {
  return autocannon({
    url,
    method: 'POST',
    connections,
    duration,
    headers: {
      authorization: `Basic ${Buffer.from('weather-caller:weather-caller-dev-secret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
}

async function bareSigner() {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const iss = 'http://127.0.0.1:4000/local_weather';
  const sign = () => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      sub: 'weather-caller',
      token_use: 'access',
      scope: 'weather-api/forecast.read',
      auth_time: now,
      iss,
      exp: now + 3600,
      iat: now,
      version: 2,
      jti: randomUUID(),
      client_id: 'weather-caller',
    })
      .setProtectedHeader({ kid: 'bench', alg: 'RS256' })
      .sign(privateKey);
  };
  const run = async (ms) => {
    const end = performance.now() + ms;
    let count = 0;
    const worker = async () => {
      while (performance.now() < end) {
        await sign();
        count++;
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: connections }, worker));
    return count / ((performance.now() - start) / 1000);
  };
  await run(1000); // warm-up
  return run;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const port = await freePort();
const child = await startEmulatorProcess(port);
const endpointRates = [];
const bareRates = [];
try {
  const url = `http://127.0.0.1:${port}/oauth2/token`;
  await load(url, 2); // warm-up
  const bare = await bareSigner();
  for (let i = 0; i < rounds; i++) {
    const result = await load(url, seconds);
    if (result.non2xx || result.errors) {
      throw new Error(`${result.non2xx} non-2xx responses, ${result.errors} errors`);
    }
    endpointRates.push(result['2xx'] / result.duration);
    bareRates.push(await bare(seconds * 1000));
    console.log(
      `round ${i + 1}: endpoint ${endpointRates[i].toFixed(0)} tokens/s (p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms), bare ${bareRates[i].toFixed(0)} tokens/s`,
    );
  }
} finally {
  child.kill('SIGTERM');
}

const endpoint = median(endpointRates);
const bare = median(bareRates);
const ratio = endpoint / bare;
console.log(`token endpoint: ${endpoint.toFixed(0)} tokens/s (median, ${connections} connections)`);
console.log(`bare jose SignJWT: ${bare.toFixed(0)} tokens/s (median, ${connections} in flight)`);
console.log(
  `ratio endpoint / bare: ${ratio.toFixed(2)} (goal >= 0.70) ${ratio >= 0.7 ? 'OK' : 'BELOW GOAL'}`,
);
