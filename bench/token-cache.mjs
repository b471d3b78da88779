// GET /forecast through a caller whose clients share tokens in Redis against the same caller
// with the in-process cache, measured in one run; then token requests per replica count.
//
//   npm run build && node bench/token-cache.mjs [seconds=5] [connections=16] [rounds=5] [replicas=3]
//
// Method. A redis-server (Debian's, on a free port, nothing on disk), the emulator,
// weather-api and callers run as their own processes from dist/ on free loopback ports.
// "redis" and "memory" are the real caller with and without TOKEN_CACHE_REDIS_URL. After a
// warm-up of both, rounds alternate (redis, memory, ...) for `seconds` each; the result is
// the median of the per-round ratios, with median rates and p99s beside it. With a warm
// cache a hit is served from the process's copy, so the goal (issue 10) is a ratio >= 0.9:
// no Redis round trip per call. Then `replicas` more callers on Redis start at once and are
// called, and the token requests counted at the emulator's /metrics are printed per replica
// count (goal: one for the fleet, whatever the count).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisServerArgs, untilRedisAnswers } from '../scripts/lib/redis-server.mjs';
import { freePort, loadForecast as load, loadTool, median, ms, tokenRequests } from './load.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (app) => `${root}dist/apps/${app}/apps/${app}/src/main.js`;
const POOL_ID = JSON.parse(readFileSync(`${root}libs/fleet-auth/pool.json`, 'utf8')).userPoolId;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(url, child) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} never answered`);
}

async function startService(app, env, readyPath = '/health/ready') {
  const port = await freePort();
  const child = spawn(process.execPath, [dist(app)], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}${readyPath}`, child);
  return { child, url };
}

async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  const child = spawn('redis-server', redisServerArgs({ port, dir }), { stdio: 'ignore' });
  child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  // A missing binary: 'error' instead of an exit.
  let spawnError;
  child.once('error', (error) => (spawnError = error));
  const alive = () => spawnError === undefined && child.exitCode === null;
  if (!(await untilRedisAnswers(port, alive))) {
    child.kill('SIGKILL');
    throw spawnError ?? new Error('redis-server did not start');
  }
  return { child, port, url: `redis://127.0.0.1:${port}` };
}

/** Commands Redis has run so far (INFO stats), less the INFO calls themselves. */
function redisCommands(port) {
  const info = execFileSync('redis-cli', ['-p', String(port), 'info', 'stats'], {
    encoding: 'utf8',
  });
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? NaN);
}

async function main() {
  const seconds = Number(process.argv[2] ?? 5);
  const connections = Number(process.argv[3] ?? 16);
  const rounds = Number(process.argv[4] ?? 5);
  const replicas = Number(process.argv[5] ?? 3);
  for (const app of ['cognito-emulator', 'weather-api', 'caller']) {
    if (!existsSync(dist(app))) {
      console.error(`${dist(app)} not found: run "npm run build" first`);
      process.exit(1);
    }
  }
  const children = [];
  try {
    const redis = await startRedis();
    children.push(redis.child);
    const emulator = await startService('cognito-emulator', {}, '/metrics');
    children.push(emulator.child);
    const api = await startService('weather-api', { AUTH_ISSUER: `${emulator.url}/${POOL_ID}` });
    children.push(api.child);
    const callerEnv = {
      WEATHER_API_URL: api.url,
      OAUTH_TOKEN_URL: `${emulator.url}/oauth2/token`,
      OAUTH_CLIENT_ID: 'weather-caller',
      OAUTH_CLIENT_SECRET: 'weather-caller-dev-secret', // dev-only demo secret
      OAUTH_SCOPES: 'weather-api/forecast.read',
      OAUTH_WRITE_CLIENT_ID: 'weather-admin',
      OAUTH_WRITE_CLIENT_SECRET: 'weather-admin-dev-secret', // dev-only demo secret
    };
    const shared = { ...callerEnv, TOKEN_CACHE_REDIS_URL: redis.url };
    const viaRedis = await startService('caller', shared);
    const inProcess = await startService('caller', callerEnv);
    children.push(viaRedis.child, inProcess.child);

    await load(viaRedis.url, 2, connections);
    await load(inProcess.url, 2, connections);
    console.log(
      `GET /forecast via caller: ${connections} connections, ${seconds}s x ${rounds} rounds, load by ${loadTool}`,
    );
    const a = [];
    const b = [];
    const ratios = [];
    const commandsBefore = redisCommands(redis.port);
    for (let round = 0; round < rounds; round++) {
      a.push(await load(viaRedis.url, seconds, connections, viaRedis.child.pid));
      b.push(await load(inProcess.url, seconds, connections, inProcess.child.pid));
      ratios.push(a[round].rps / b[round].rps);
      console.log(
        `  round ${round + 1}: redis ${a[round].rps.toFixed(0)} req/s (p99 ${ms(a[round].p99)}), ` +
          `in-process ${b[round].rps.toFixed(0)} req/s (p99 ${ms(b[round].p99)}), ratio ${ratios[round].toFixed(3)}`,
      );
    }
    // Each INFO call counts itself once.
    const commands = redisCommands(redis.port) - commandsBefore - 1;
    const served = a.reduce((sum, r) => sum + r.requests, 0);
    const ratio = median(ratios);
    const line = (name, runs) =>
      `  ${name} ${median(runs.map((r) => r.rps)).toFixed(0)} req/s, p99 ${ms(median(runs.map((r) => r.p99)))} (medians)`;
    console.log(line('redis store (warm):', a));
    console.log(line('in-process store:  ', b));
    console.log(
      `  ratio redis/in-process: ${ratio.toFixed(3)} (median of rounds; goal >= 0.9) ${ratio >= 0.9 ? 'OK' : 'BELOW GOAL'}`,
    );

    const cpu = (runs) => median(runs.map((r) => r.cpuMsPerRequest ?? NaN)).toFixed(3);
    console.log(
      `  caller CPU per request (diagnostic, insensitive to other load): redis ${cpu(a)} ms, in-process ${cpu(b)} ms`,
    );
    console.log(
      `  Redis commands during the measured rounds: ${commands} for ${served} calls through the ` +
        'redis caller (goal 0: a hit never asks Redis)',
    );

    // Token requests per replica count: `replicas` more callers on the same Redis, started at
    // once, each called; the first caller on Redis already holds the fleet's token.
    const before = await tokenRequests(emulator.url, 'weather-caller');
    const fleet = await Promise.all(
      Array.from({ length: replicas }, () => startService('caller', shared)),
    );
    children.push(...fleet.map((f) => f.child));
    await Promise.all(fleet.map((f) => fetch(`${f.url}/forecast`)));
    const after = await tokenRequests(emulator.url, 'weather-caller');
    console.log(
      `  token requests for weather-caller: ${after - before} more for ${replicas} callers started ` +
        `together on the same Redis, ${1 + replicas} callers there in all (goal 0; in-process: 1 per caller)`,
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
  }
}

await main();
