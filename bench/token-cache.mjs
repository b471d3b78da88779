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
import { execFileSync } from 'node:child_process';
import {
  buildIfStale,
  launchService,
  localWiring,
  stopAll,
  tokenRequests,
} from '../scripts/lib/fleet.mjs';
import { RedisServer } from '../scripts/lib/redis-server.mjs';
import { loadForecast as load, loadTool, median, ms } from './load.mjs';

/** A service of the bench, at LOG_LEVEL=warn unless `env` says otherwise. */
const service = (app, env = {}) =>
  launchService(app, { env: { LOG_LEVEL: 'warn', ...env }, stdout: false });

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
  if (!buildIfStale({ say: (m) => console.log(m) })) process.exit(1);
  const services = [];
  let redis;
  try {
    redis = await RedisServer.start();
    const emulator = await service('cognito-emulator');
    services.push(emulator);
    const urls = { 'cognito-emulator': emulator.url };
    const api = await service('weather-api', localWiring('weather-api', urls));
    services.push(api);
    const callerEnv = localWiring('caller', { ...urls, 'weather-api': api.url });
    const shared = { ...callerEnv, TOKEN_CACHE_REDIS_URL: redis.url };
    const viaRedis = await service('caller', shared);
    const inProcess = await service('caller', callerEnv);
    services.push(viaRedis, inProcess);

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
      a.push(await load(viaRedis.url, seconds, connections, viaRedis.pid));
      b.push(await load(inProcess.url, seconds, connections, inProcess.pid));
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
      Array.from({ length: replicas }, () => service('caller', shared)),
    );
    services.push(...fleet);
    await Promise.all(fleet.map((f) => fetch(`${f.url}/forecast`)));
    const after = await tokenRequests(emulator.url, 'weather-caller');
    console.log(
      `  token requests for weather-caller: ${after - before} more for ${replicas} callers started ` +
        `together on the same Redis, ${1 + replicas} callers there in all (goal 0; in-process: 1 per caller)`,
    );
  } finally {
    await stopAll(services);
    await redis?.close();
  }
}

await main();
