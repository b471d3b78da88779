// GET /weatherforecast guarded (a valid emulator token, every check on) vs. the same
// controller mounted without guards, measured in one run.
//
//   npm run build && node bench/weather-api.mjs [seconds=5] [connections=16] [rounds=5]
//
// Three processes besides this one: the emulator (dist main.js), the real weather-api
// (dist main.js, pointed at the emulator) and an unguarded twin (this file in --serve
// mode: the service's own dist bootstrap, with the resource server's global guards left
// out), both sent the same requests, bearer token included. Both log at
// LOG_LEVEL=error, so request logging costs both sides alike and the ratio is the guards'
// cost alone. Rounds alternate
// (guarded, unguarded, ...) after a warm-up; the result is the median of the per-round
// ratios (each pair ran back to back, so drifting machine load cancels out), with the
// median rates and p99s beside it. The load comes from wrk when installed, else
// autocannon (see load.mjs); any non-2xx answer or socket error fails the run.
// Goal (issue 9): guarded / unguarded >= 0.90.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (app) => `${root}dist/apps/${app}/apps/${app}/src/`;

if (process.argv[2] === '--serve') {
  // The unguarded twin: weather-api's own bootstrap (its AppModule, startService, security
  // headers and docs page), with only the resource server's global guards left out. So the
  // only difference measured is the guards' work.
  const { startWeatherApi } = await import(
    pathToFileURL(`${dist('weather-api')}bootstrap.js`).href
  );
  await startWeatherApi(
    { ...process.env, HOST: '127.0.0.1', PORT: process.argv[3] },
    { globalGuards: false },
  );
  console.log('listening');
} else {
  const { freePort, load, loadTool, median, ms, withCpu } = await import('./load.mjs');
  const seconds = Number(process.argv[2] ?? 5);
  const connections = Number(process.argv[3] ?? 16);
  const rounds = Number(process.argv[4] ?? 5);
  for (const app of ['cognito-emulator', 'weather-api']) {
    if (!existsSync(`${dist(app)}main.js`)) {
      console.error(`${dist(app)}main.js not found: run "npm run build" first`);
      process.exit(1);
    }
  }

  const children = [];
  const start = (args, env, ready) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, args, {
        cwd: root,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let out = '';
      const onData = (chunk) => {
        out += chunk;
        if (ready.test(out)) resolve(child);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${out}`)));
    });
  const waitFor = async (url) => {
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(url);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`${url} never answered`);
  };

  try {
    const [emuPort, apiPort, twinPort] = await Promise.all([freePort(), freePort(), freePort()]);
    start(
      [`${dist('cognito-emulator')}main.js`],
      { PORT: String(emuPort), HOST: '127.0.0.1' },
      /./,
    );
    await waitFor(`http://127.0.0.1:${emuPort}/metrics`);
    start(
      [`${dist('weather-api')}main.js`],
      {
        PORT: String(apiPort),
        HOST: '127.0.0.1',
        AUTH_ISSUER: `http://127.0.0.1:${emuPort}/us-east-1_Weather01`,
        LOG_LEVEL: 'error',
      },
      /./,
    );
    start(
      [fileURLToPath(import.meta.url), '--serve', String(twinPort)],
      { AUTH_ISSUER: `http://127.0.0.1:${emuPort}/us-east-1_Weather01`, LOG_LEVEL: 'error' },
      /listening/,
    );
    const [, apiChild, twinChild] = children;
    await Promise.all([
      waitFor(`http://127.0.0.1:${apiPort}/health`),
      waitFor(`http://127.0.0.1:${twinPort}/weatherforecast`),
    ]);

    const tokenRes = await fetch(`http://127.0.0.1:${emuPort}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        // DEV-ONLY demo secret of the emulator's demo pool.
        authorization: `Basic ${Buffer.from('weather-caller:weather-caller-dev-secret').toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    const { access_token: token } = await tokenRes.json();
    const guardedUrl = `http://127.0.0.1:${apiPort}/weatherforecast`;
    const check = await fetch(guardedUrl, { headers: { authorization: `Bearer ${token}` } });
    if (check.status !== 200) throw new Error(`guarded GET answered ${check.status}`);
    // Each side is what it claims: without a token the service refuses, the twin answers.
    const anonymous = await fetch(guardedUrl);
    if (anonymous.status !== 401)
      throw new Error(`guarded GET without a token: ${anonymous.status}`);
    const open = await fetch(`http://127.0.0.1:${twinPort}/weatherforecast`);
    if (open.status !== 200) throw new Error(`unguarded GET without a token: ${open.status}`);

    const run = async (url, headers, duration, pid) => {
      const r = await withCpu(pid, () => load({ url, headers, connections, seconds: duration }));
      if (r.bad) throw new Error(`${url}: ${r.bad} failed requests (non-2xx or socket errors)`);
      return r;
    };
    const unguardedUrl = `http://127.0.0.1:${twinPort}/weatherforecast`;
    const guarded = () =>
      run(guardedUrl, { Authorization: `Bearer ${token}` }, seconds, apiChild.pid);
    // The same requests, token included, to both: the twin parses the header but never
    // looks at it, so what the ratio measures is the guards' work alone.
    const unguarded = () =>
      run(unguardedUrl, { Authorization: `Bearer ${token}` }, seconds, twinChild.pid);

    await run(guardedUrl, { Authorization: `Bearer ${token}` }, 2);
    await run(unguardedUrl, { Authorization: `Bearer ${token}` }, 2);

    console.log(
      `GET /weatherforecast: ${connections} connections, ${seconds}s x ${rounds} rounds, load by ${loadTool}`,
    );
    const g = [];
    const u = [];
    const ratios = [];
    for (let i = 0; i < rounds; i++) {
      g.push(await guarded());
      u.push(await unguarded());
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
    const cpu = (runs) => median(runs.map((r) => r.cpuMsPerRequest ?? NaN)).toFixed(3);
    console.log(
      `  API CPU per request (diagnostic, insensitive to other load): guarded ${cpu(g)} ms, unguarded ${cpu(u)} ms`,
    );
    console.log(
      `  ratio guarded/unguarded: ${ratio.toFixed(3)} (median of rounds; goal >= 0.90) ${ratio >= 0.9 ? 'OK' : 'BELOW GOAL'}`,
    );
  } finally {
    for (const child of children) {
      child.removeAllListeners('exit');
      child.kill();
    }
  }
}
