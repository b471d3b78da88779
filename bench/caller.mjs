// GET /forecast through the caller: the M2M HttpService (token interceptor, warm cache)
// against the same app with the interceptors removed and a fixed, pre-set Authorization
// header, measured in one run.
//
//   npm run build && node bench/caller.mjs [seconds=5] [connections=16] [rounds=5]
//
// Method. The emulator, weather-api and each caller run as their own processes from dist/
// on free loopback ports. Both callers are the real app (startCaller); the fixed one has
// the M2M interceptors removed (x-request-id forwarded by the library's plain interceptor
// instead) and the token it fetched once set as a default header.
// After a warm-up of both, rounds alternate (interceptor, fixed, ...) for `seconds` each;
// the result is the median of the per-round ratios (each round's pair ran back to back,
// so drifting machine load cancels out), with the median rates and p99s beside it. The
// load comes from wrk when installed, else autocannon (see load.mjs): the generator shares
// the cores with four Node processes, and a cheaper one disturbs the measurement less.
// Token requests are counted at the emulator's /metrics. Goal (issue 4): ratio >= 0.95
// and one token request per caller process, none during the measured rounds.
// Every process loads its tracing entry point as the services run (npm start, the image);
// with no OTEL_* exporter variable set, as here, it starts nothing (issue 14: >= 0.95 so).
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  built,
  buildIfStale,
  launchService,
  localWiring,
  root,
  stopAll,
  tokenRequests,
} from '../scripts/lib/fleet.mjs';
import { loadForecast as load, loadTool, median, ms } from './load.mjs';

if (process.argv[2] === '--serve') {
  await serveCaller(process.argv[3]);
} else {
  await main();
}

/** Child mode: a caller process on PORT, with ("m2m") or without ("fixed") the token interceptor. */
async function serveCaller(mode) {
  const module = (path) => import(pathToFileURL(`${root}/${built('caller', path)}`).href);
  const { startCaller } = await module('apps/caller/src/bootstrap.js');
  const client = await module('libs/auth/src/client/index.js');
  const observability = await module('libs/auth/src/observability/index.js');
  const caller = await startCaller(process.env, { logger: ['error', 'warn'] });
  if (mode === 'fixed') {
    const http = caller.app.get(client.getM2MHttpServiceToken('weather-read'));
    const token = await caller.app.get(client.getTokenProviderToken('weather-read')).getToken();
    // Remove only the M2M interceptors (the token ones are those with a runWhen; the
    // response ones are all M2M). They also forward x-request-id: the fixed side does that
    // with the library's own interceptor, so the ratio measures the token handling alone.
    const { request, response } = http.axiosRef.interceptors;
    let ejected = 0;
    request.handlers.forEach((h, id) => {
      if (typeof h?.runWhen === 'function') {
        request.eject(id);
        ejected++;
      }
    });
    if (ejected === 0) throw new Error('no M2M request interceptor found to remove');
    response.clear();
    caller.app.get(observability.RequestIdContext).propagateTo(http.axiosRef);
    http.axiosRef.defaults.headers.common.Authorization = `Bearer ${token}`;
    console.error(
      `fixed caller: ${ejected} M2M request interceptors removed, ` +
        `${request.handlers.filter(Boolean).length} other(s) kept`,
    );
  }
}

/** A caller process of this file's child mode, ready, and for "fixed" with its interceptors removed. */
async function startCallerProcess(mode, env) {
  const script = [fileURLToPath(import.meta.url), '--serve', mode];
  const caller = await launchService('caller', {
    name: `caller (${mode})`,
    script,
    env,
    stdout: false,
  });
  if (mode === 'fixed') console.error((await caller.untilOutput(/^fixed caller: .*$/m))[0]);
  return caller;
}

async function main() {
  const seconds = Number(process.argv[2] ?? 5);
  const connections = Number(process.argv[3] ?? 16);
  const rounds = Number(process.argv[4] ?? 5);
  if (!buildIfStale({ say: (m) => console.log(m) })) process.exit(1);
  const services = [];
  try {
    const emulator = await launchService('cognito-emulator', { stdout: false });
    services.push(emulator);
    const urls = { 'cognito-emulator': emulator.url };
    const api = await launchService('weather-api', {
      env: { ...localWiring('weather-api', urls), LOG_LEVEL: 'warn' },
      stdout: false,
    });
    services.push(api);
    const callerEnv = localWiring('caller', { ...urls, 'weather-api': api.url });
    const m2m = await startCallerProcess('m2m', callerEnv);
    services.push(m2m);
    const fixed = await startCallerProcess('fixed', callerEnv);
    services.push(fixed);

    // Warm both (token cached, JIT, key set at weather-api), then alternate the rounds.
    await load(m2m.url, 2, connections);
    await load(fixed.url, 2, connections);
    const warmTokens = await tokenRequests(emulator.url, 'weather-caller');
    console.log(
      `GET /forecast via caller: ${connections} connections, ${seconds}s x ${rounds} rounds, load by ${loadTool}`,
    );
    const a = [];
    const b = [];
    const ratios = [];
    for (let round = 0; round < rounds; round++) {
      a.push(await load(m2m.url, seconds, connections, m2m.pid));
      b.push(await load(fixed.url, seconds, connections, fixed.pid));
      ratios.push(a[round].rps / b[round].rps);
      console.log(
        `  round ${round + 1}: interceptor ${a[round].rps.toFixed(0)} req/s (p99 ${ms(a[round].p99)}), ` +
          `fixed ${b[round].rps.toFixed(0)} req/s (p99 ${ms(b[round].p99)}), ratio ${ratios[round].toFixed(3)}`,
      );
    }
    const tokens = await tokenRequests(emulator.url, 'weather-caller');
    const ratio = median(ratios);
    const cpu = (runs) => median(runs.map((r) => r.cpuMsPerRequest ?? NaN)).toFixed(3);
    const line = (name, runs) =>
      `  ${name} ${median(runs.map((r) => r.rps)).toFixed(0)} req/s, p99 ${ms(median(runs.map((r) => r.p99)))} (medians)`;
    console.log(line('interceptor (warm cache):', a));
    console.log(line('fixed Authorization:     ', b));
    console.log(
      `  ratio interceptor/fixed: ${ratio.toFixed(3)} (median of rounds; goal >= 0.95) ${ratio >= 0.95 ? 'OK' : 'BELOW GOAL'}`,
    );
    console.log(
      `  caller CPU per request (diagnostic, insensitive to other load): interceptor ${cpu(a)} ms, fixed ${cpu(b)} ms`,
    );
    console.log(
      `  token requests for weather-caller at the emulator: ${tokens} for 2 caller processes ` +
        `(goal 1 each), ${tokens - warmTokens} during the measured rounds (goal 0)`,
    );
  } finally {
    await stopAll(services);
  }
}
