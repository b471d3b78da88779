// GET /weatherforecast guarded (a valid emulator token, every check on) vs. the same
// controller mounted without guards, measured in one run.
//
//   npm run build && node bench/weather-api.mjs [seconds=5] [connections=16] [rounds=5]
//
// Three processes besides this one: the emulator (dist main.js), the real weather-api
// (dist main.js, pointed at the emulator) and an unguarded twin (this file in --serve
// mode: the service's own dist bootstrap, with the resource server's global guards left
// out), both sent the same requests, bearer token included. Both log at LOG_LEVEL=error,
// so request logging costs both sides alike and the ratio is the guards' cost alone.
// Rounds alternate after a warm-up, and so does which side of a round goes first; the
// result is the median of the per-round ratios (each pair ran back to back, so drifting
// machine load mostly cancels out), with the median rates and p99s beside it. The load
// comes from wrk when installed, else autocannon (see load.mjs); any non-2xx answer or
// socket error fails the run. Last, a child in --guard-cost mode measures the guard's own
// CPU on a cached token in-process, the figure other processes cannot blur.
// Goal (issue 9): guarded / unguarded >= 0.90.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  built,
  buildIfStale,
  demoClient,
  fetchToken,
  launchService,
  localWiring,
  root,
  stopAll,
} from '../scripts/lib/fleet.mjs';

/** A module of weather-api's build, as an import() specifier. */
const module = (path) => pathToFileURL(join(root, built('weather-api', path))).href;

if (process.argv[2] === '--serve') {
  // The unguarded twin: weather-api's own bootstrap (its AppModule, startService, security
  // headers and docs page), with only the resource server's global guards left out. So the
  // only difference measured is the guards' work.
  const { startWeatherApi } = await import(module('apps/weather-api/src/bootstrap.js'));
  await startWeatherApi(process.env, { globalGuards: false });
} else if (process.argv[2] === '--guard-cost') {
  // The guard's own CPU on a cached token, measured in-process where no other process adds
  // noise: weather-api started here, one request verifies the token (argv[3]), then
  // JwtAuthGuard.canActivate runs on that same header again and again (a cache hit is
  // synchronous). Prints one JSON line.
  const { startWeatherApi } = await import(module('apps/weather-api/src/bootstrap.js'));
  const { WeatherForecastController } = await import(
    module('apps/weather-api/src/weather/weather-forecast.controller.js')
  );
  const { JwtAuthGuard } = await import(module('libs/auth/src/resource-server/index.js'));
  const header = `Bearer ${process.argv[3]}`;
  const api = await startWeatherApi({ ...process.env, HOST: '127.0.0.1', PORT: '0' });
  try {
    const warm = await fetch(`${api.url}/weatherforecast`, { headers: { authorization: header } });
    if (warm.status !== 200) throw new Error(`guarded GET answered ${warm.status}`);
    const guard = api.app.get(JwtAuthGuard);
    const rawHeaders = ['Host', new URL(api.url).host, 'Authorization', header, 'Accept', '*/*'];
    const handler = WeatherForecastController.prototype.list;
    const check = () => {
      const req = { rawHeaders };
      const http = { getRequest: () => req, getResponse: () => ({}) };
      const context = {
        getType: () => 'http',
        getHandler: () => handler,
        getClass: () => WeatherForecastController,
        switchToHttp: () => http,
      };
      if (guard.canActivate(context) !== true) throw new Error('not a synchronous cache hit');
    };
    for (let i = 0; i < 20_000; i++) check();
    const calls = 200_000;
    const cpu = process.cpuUsage();
    for (let i = 0; i < calls; i++) check();
    const { user, system } = process.cpuUsage(cpu);
    console.log(JSON.stringify({ usPerCall: (user + system) / calls }));
  } finally {
    await api.close();
  }
} else {
  const { load, loadTool, median, ms, withCpu } = await import('./load.mjs');
  const seconds = Number(process.argv[2] ?? 5);
  const connections = Number(process.argv[3] ?? 16);
  const rounds = Number(process.argv[4] ?? 5);
  if (!buildIfStale({ say: (m) => console.log(m) })) process.exit(1);

  const services = [];
  try {
    const emulator = await launchService('cognito-emulator', { stdout: false });
    services.push(emulator);
    const env = {
      ...localWiring('weather-api', { 'cognito-emulator': emulator.url }),
      LOG_LEVEL: 'error',
    };
    const [api, twin] = await Promise.all([
      launchService('weather-api', { env }),
      launchService('weather-api', {
        name: 'weather-api (unguarded)',
        script: [fileURLToPath(import.meta.url), '--serve'],
        env,
      }),
    ]);
    services.push(api, twin);

    const reader = demoClient('weather-caller');
    const token = await fetchToken(`${emulator.url}/oauth2/token`, reader);
    const guardedUrl = `${api.url}/weatherforecast`;
    const check = await fetch(guardedUrl, { headers: { authorization: `Bearer ${token}` } });
    if (check.status !== 200) throw new Error(`guarded GET answered ${check.status}`);
    // Each side is what it claims: without a token the service refuses, the twin answers.
    const anonymous = await fetch(guardedUrl);
    if (anonymous.status !== 401)
      throw new Error(`guarded GET without a token: ${anonymous.status}`);
    const open = await fetch(`${twin.url}/weatherforecast`);
    if (open.status !== 200) throw new Error(`unguarded GET without a token: ${open.status}`);

    const run = async (url, headers, duration, pid) => {
      const r = await withCpu(pid, () => load({ url, headers, connections, seconds: duration }));
      if (r.bad) throw new Error(`${url}: ${r.bad} failed requests (non-2xx or socket errors)`);
      return r;
    };
    const unguardedUrl = `${twin.url}/weatherforecast`;
    const guarded = () => run(guardedUrl, { Authorization: `Bearer ${token}` }, seconds, api.pid);
    // The same requests, token included, to both: the twin parses the header but never
    // looks at it, so what the ratio measures is the guards' work alone.
    const unguarded = () =>
      run(unguardedUrl, { Authorization: `Bearer ${token}` }, seconds, twin.pid);

    await run(guardedUrl, { Authorization: `Bearer ${token}` }, 2);
    await run(unguardedUrl, { Authorization: `Bearer ${token}` }, 2);

    console.log(
      `GET /weatherforecast: ${connections} connections, ${seconds}s x ${rounds} rounds, load by ${loadTool}`,
    );
    const g = [];
    const u = [];
    const ratios = [];
    for (let i = 0; i < rounds; i++) {
      // Which side goes first alternates (guarded first in odd rounds), so that whatever
      // favours a pair's first or second run falls on both sides equally.
      if (i % 2 === 0) {
        g.push(await guarded());
        u.push(await unguarded());
      } else {
        u.push(await unguarded());
        g.push(await guarded());
      }
      ratios.push(g[i].rps / u[i].rps);
      console.log(
        `  round ${i + 1}: guarded ${g[i].rps.toFixed(0)} req/s (p99 ${ms(g[i].p99)}), ` +
          `unguarded ${u[i].rps.toFixed(0)} req/s (p99 ${ms(u[i].p99)}), ratio ${ratios[i].toFixed(3)}`,
      );
    }
    const line = (name, runs) =>
      `  ${name} ${median(runs.map((r) => r.rps)).toFixed(0)} req/s, p99 ${ms(median(runs.map((r) => r.p99)))} (medians)`;
    console.log(line('guarded:  ', g));
    console.log(line('unguarded:', u));
    const ratio = median(ratios);
    const cpuMs = (runs) => median(runs.map((r) => r.cpuMsPerRequest ?? NaN));
    console.log(
      `  API CPU per request (diagnostic; two identical processes differ by up to 10% on a busy machine): ` +
        `guarded ${cpuMs(g).toFixed(3)} ms, unguarded ${cpuMs(u).toFixed(3)} ms`,
    );
    const guardCost = await new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [fileURLToPath(import.meta.url), '--guard-cost', token],
        { cwd: root, env: { ...process.env, ...env } },
        (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout.trim().split('\n').pop()))),
      );
    });
    const unguardedUs = cpuMs(u) * 1000;
    console.log(
      `  the guard on a cached token, in-process: ${guardCost.usPerCall.toFixed(1)} µs of CPU per request ` +
        `(JwtAuthGuard.canActivate), ${((100 * guardCost.usPerCall) / unguardedUs).toFixed(1)}% of an unguarded request`,
    );
    console.log(
      `  ratio guarded/unguarded: ${ratio.toFixed(3)} (median of rounds; goal >= 0.90) ${ratio >= 0.9 ? 'OK' : 'BELOW GOAL'}`,
    );
  } finally {
    await stopAll(services);
  }
}
