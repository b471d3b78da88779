// GET /forecast through the caller: the M2M HttpService (token interceptor, warm cache)
// against the same app with the interceptors removed and a fixed, pre-set Authorization
// header, and the same app with its client on the api transport (GetClientToken) against
// the token endpoint's, measured in one run.
//
//   npm run build && node bench/caller.mjs [seconds=5] [connections=16] [rounds=5]
//
// Method. The emulator, weather-api and each caller run as their own processes from dist/
// on free loopback ports. Both callers are the real app (startCaller); the fixed one has
// the M2M interceptors removed (x-request-id forwarded by the library's plain interceptor
// instead) and the token it fetched once set as a default header.
// After a warm-up of all three, rounds alternate the three for `seconds` each (each side in
// each place of the order in turn); the results are the medians of the per-round ratios (interceptor/fixed, and
// api transport/token endpoint; each round's runs back to back, so drifting machine load
// cancels out), with the median rates and p99s beside them. The
// load comes from wrk when installed, else autocannon (see load.mjs): the generator shares
// the cores with four Node processes, and a cheaper one disturbs the measurement less.
// Token requests are counted at the emulator's /metrics, per transport. Goals: ratio >= 0.95
// (issue 4), api transport/token endpoint >= 0.95 (issue 21), and one token request per caller
// process, none during the measured rounds.
// Every process loads its tracing entry point as the services run (npm start, the image);
// with no OTEL_* exporter variable set, as here, it starts nothing (issue 14: >= 0.95 so).
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  built,
  buildIfStale,
  demoClient,
  launchService,
  localWiring,
  root,
  stopAll,
  tokenRequests,
} from '../scripts/lib/fleet.mjs';
import { loadForecast as load, loadTool, median, ms } from './load.mjs';

/** The demo pool's client on ALLOW_CLIENT_TOKEN_AUTH: the api transport's side. */
const API_CLIENT = 'weather-sdk-caller';

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
async function startCallerProcess(mode, env, name = `caller (${mode})`) {
  const script = [fileURLToPath(import.meta.url), '--serve', mode];
  const caller = await launchService('caller', { name, script, env, stdout: false });
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
    // The same app, its read client on the api transport (GetClientToken, the demo pool's
    // ALLOW_CLIENT_TOKEN_AUTH client); its write client stays on the token endpoint.
    const sdk = demoClient(API_CLIENT);
    const apiEnv = {
      ...callerEnv,
      OAUTH_TRANSPORT: 'api',
      OAUTH_API_ENDPOINT: emulator.url,
      OAUTH_CLIENT_ID: sdk.id,
      OAUTH_CLIENT_SECRET: sdk.secret,
      OAUTH_SCOPES: sdk.scopes.join(' '),
      OAUTH_WRITE_TRANSPORT: 'token-endpoint',
    };
    const m2m = await startCallerProcess('m2m', callerEnv);
    services.push(m2m);
    const viaApi = await startCallerProcess('m2m', apiEnv, 'caller (m2m, api transport)');
    services.push(viaApi);
    const fixed = await startCallerProcess('fixed', callerEnv);
    services.push(fixed);

    // Warm all three (token cached, JIT, key set at weather-api), then alternate the rounds.
    for (const caller of [m2m, viaApi, fixed]) await load(caller.url, 2, connections);
    const requests = async () => ({
      endpoint: await tokenRequests(emulator.url, 'weather-caller'),
      api: await tokenRequests(emulator.url, sdk.id),
    });
    const warm = await requests();
    console.log(
      `GET /forecast via caller: ${connections} connections, ${seconds}s x ${rounds} rounds, load by ${loadTool}`,
    );
    const a = [];
    const c = [];
    const b = [];
    const ratios = [];
    const transportRatios = [];
    const sides = [
      { caller: m2m, runs: a },
      { caller: viaApi, runs: c },
      { caller: fixed, runs: b },
    ];
    for (let round = 0; round < rounds; round++) {
      // Each side takes each place in the order in turn: no side always runs first.
      for (let i = 0; i < sides.length; i++) {
        const { caller, runs } = sides[(round + i) % sides.length];
        runs.push(await load(caller.url, seconds, connections, caller.pid));
      }
      ratios.push(a[round].rps / b[round].rps);
      transportRatios.push(c[round].rps / a[round].rps);
      console.log(
        `  round ${round + 1}: interceptor ${a[round].rps.toFixed(0)} req/s (p99 ${ms(a[round].p99)}), ` +
          `api transport ${c[round].rps.toFixed(0)} req/s (p99 ${ms(c[round].p99)}), ` +
          `fixed ${b[round].rps.toFixed(0)} req/s (p99 ${ms(b[round].p99)}), ` +
          `ratios ${ratios[round].toFixed(3)} / ${transportRatios[round].toFixed(3)}`,
      );
    }
    const done = await requests();
    const ratio = median(ratios);
    const transportRatio = median(transportRatios);
    const cpu = (runs) => median(runs.map((r) => r.cpuMsPerRequest ?? NaN)).toFixed(3);
    const line = (name, runs) =>
      `  ${name} ${median(runs.map((r) => r.rps)).toFixed(0)} req/s, p99 ${ms(median(runs.map((r) => r.p99)))} (medians)`;
    console.log(line('interceptor (warm cache):      ', a));
    console.log(line('interceptor, api transport:    ', c));
    console.log(line('fixed Authorization:           ', b));
    console.log(
      `  ratio interceptor/fixed: ${ratio.toFixed(3)} (median of rounds; goal >= 0.95) ${ratio >= 0.95 ? 'OK' : 'BELOW GOAL'}`,
    );
    console.log(
      `  ratio api transport/token endpoint: ${transportRatio.toFixed(3)} (median of rounds; goal >= 0.95) ${transportRatio >= 0.95 ? 'OK' : 'BELOW GOAL'}`,
    );
    console.log(
      `  caller CPU per request (diagnostic, insensitive to other load): interceptor ${cpu(a)} ms, ` +
        `api transport ${cpu(c)} ms, fixed ${cpu(b)} ms; ` +
        `token endpoint/api transport ${(cpu(a) / cpu(c)).toFixed(3)}`,
    );
    console.log(
      `  token requests at the emulator: token endpoint (weather-caller) ${done.endpoint} for 2 caller ` +
        `processes (goal 1 each), ${done.endpoint - warm.endpoint} during the measured rounds (goal 0); ` +
        `api transport (${sdk.id}) ${done.api} for 1 (goal 1), ${done.api - warm.api} during the rounds (goal 0)`,
    );
  } finally {
    await stopAll(services);
  }
}
