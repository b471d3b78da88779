// GET /weatherforecast guarded (a valid emulator token, every check on) vs. the same
// controller mounted without guards, measured in one run.
//
//   npm run build && node bench/weather-api.mjs [seconds=10] [connections=16] [rounds=3]
//
// Three processes besides this one: the emulator (dist main.js), the real weather-api
// (dist main.js, pointed at the emulator) and an unguarded twin (this file in --serve
// mode: the dist WeatherForecastController and service in a bare Nest module, no
// ResourceServerModule). Both APIs get the same body parser and pipes. Rounds alternate
// (guarded, unguarded, ...) after a warm-up and the medians are compared.
// Goal: guarded / unguarded >= 0.85.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (app) => `${root}dist/apps/${app}/apps/${app}/src/`;

if (process.argv[2] === '--serve') {
  // The unguarded twin.
  await import('reflect-metadata');
  const { Module, ValidationPipe } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const base = pathToFileURL(dist('weather-api')).href;
  const { WeatherForecastController } = await import(
    `${base}weather/weather-forecast.controller.js`
  );
  const { WeatherForecastService } = await import(`${base}weather/weather-forecast.service.js`);
  class UnguardedModule {}
  Module({ controllers: [WeatherForecastController], providers: [WeatherForecastService] })(
    UnguardedModule,
  );
  const app = await NestFactory.create(UnguardedModule, { bodyParser: false, logger: ['error'] });
  app.useBodyParser('json', { limit: '16kb' });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  await app.listen(Number(process.argv[3]), '127.0.0.1');
  console.log('listening');
} else {
  const { default: autocannon } = await import('autocannon');
  const seconds = Number(process.argv[2] ?? 10);
  const connections = Number(process.argv[3] ?? 16);
  const rounds = Number(process.argv[4] ?? 3);
  for (const app of ['cognito-emulator', 'weather-api']) {
    if (!existsSync(`${dist(app)}main.js`)) {
      console.error(`${dist(app)}main.js not found: run "npm run build" first`);
      process.exit(1);
    }
  }

  const freePort = () =>
    new Promise((resolve, reject) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address();
        srv.close(() => resolve(port));
      });
      srv.on('error', reject);
    });

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
        AUTH_ISSUER: `http://127.0.0.1:${emuPort}/local_weather`,
        LOG_LEVEL: 'error',
      },
      /./,
    );
    start([fileURLToPath(import.meta.url), '--serve', String(twinPort)], {}, /listening/);
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

    const run = (url, headers, duration) =>
      autocannon({ url, connections, duration, headers, pipelining: 1 });
    const guarded = () => run(guardedUrl, { authorization: `Bearer ${token}` }, seconds);
    const unguarded = () => run(`http://127.0.0.1:${twinPort}/weatherforecast`, {}, seconds);

    await run(guardedUrl, { authorization: `Bearer ${token}` }, 2);
    await run(`http://127.0.0.1:${twinPort}/weatherforecast`, {}, 2);

    const g = [];
    const u = [];
    for (let i = 0; i < rounds; i++) {
      const a = await guarded();
      const b = await unguarded();
      if (a.non2xx || b.non2xx) throw new Error(`non-2xx answers: ${a.non2xx} / ${b.non2xx}`);
      g.push(a);
      u.push(b);
      console.log(
        `round ${i + 1}: guarded ${a.requests.average.toFixed(0)} rps (p99 ${a.latency.p99} ms), ` +
          `unguarded ${b.requests.average.toFixed(0)} rps (p99 ${b.latency.p99} ms)`,
      );
    }
    const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    const gr = median(g.map((r) => r.requests.average));
    const ur = median(u.map((r) => r.requests.average));
    console.log(`guarded:   ${gr.toFixed(0)} rps, p99 ${median(g.map((r) => r.latency.p99))} ms`);
    console.log(`unguarded: ${ur.toFixed(0)} rps, p99 ${median(u.map((r) => r.latency.p99))} ms`);
    console.log(`ratio guarded/unguarded: ${(gr / ur).toFixed(3)} (goal >= 0.85)`);
  } finally {
    for (const child of children) {
      child.removeAllListeners('exit');
      child.kill();
    }
  }
}
