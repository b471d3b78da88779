#!/usr/bin/env node
// The fleet's start-up time and memory.
//   npm run bench:fleet [-- --runs 3 --calls 10000 --concurrency 16 --node-env development]
// 1. Start-up: launches the three (already built; builds first if stale, untimed) the way
//    `npm start` does — all at once, each one waiting for the previous one's readiness
//    (scripts/start.mjs --wait-for) — and measures the wall clock from launch to the
//    caller's first successful GET /forecast. Goal: under 3 s.
// 2. Memory: each service's resident set (VmRSS in /proc/<pid>/status) when idle after
//    that first call, and after N calls to the caller's GET /forecast (bounded
//    concurrency, loopback), plus the peak (VmHWM). Goal: under 150 MiB per service.
// Loopback only; ports are picked free. Linux (reads /proc).
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  buildIfStale,
  entryPoint,
  freePort,
  launch,
  rssMiB,
  sleep,
  waitReady,
} from '../scripts/lib/fleet.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    calls: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '16' },
    'node-env': { type: 'string', default: 'production' },
    // npm-start: as `npm start` runs them (scripts/start.mjs --wait-for, overlapping loads);
    // plain: `node main.js` each, started once the previous is ready (as in containers).
    mode: { type: 'string', default: 'npm-start' },
  },
});
const RUNS = Number(values.runs);
const CALLS = Number(values.calls);
const CONCURRENCY = Number(values.concurrency);
const GOAL_START_MS = 3000;
const GOAL_RSS_MIB = 150;

async function peakMiB(pid) {
  try {
    const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** The command for a service: after `previous` is ready, run `app`'s entry point. */
function command(app, previous) {
  if (!previous) return [entryPoint(app)];
  return values.mode === 'plain'
    ? [entryPoint(app)]
    : ['scripts/start.mjs', '--wait-for', previous, '--then', entryPoint(app)];
}

/** Launches the fleet in readiness order; resolves at the caller's first 200. */
async function startFleet() {
  const [emulatorPort, apiPort, callerPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const emulator = `http://127.0.0.1:${emulatorPort}`;
  const api = `http://127.0.0.1:${apiPort}`;
  const caller = `http://127.0.0.1:${callerPort}`;
  const common = { HOST: '127.0.0.1', NODE_ENV: values['node-env'], LOG_LEVEL: 'warn' };
  const t0 = performance.now();
  const services = [
    {
      name: 'cognito-emulator',
      proc: launch(command('cognito-emulator'), {
        env: { ...common, PORT: String(emulatorPort) },
      }),
    },
    {
      name: 'weather-api',
      proc: launch(
        ['scripts/start.mjs', '--wait-for', emulator, '--then', entryPoint('weather-api')],
        {
          env: { ...common, PORT: String(apiPort), AUTH_ISSUER: `${emulator}/local_weather` },
        },
      ),
    },
    {
      name: 'caller',
      proc: await launchAfter(api, command('caller', api), {
        env: {
          ...common,
          PORT: String(callerPort),
          WEATHER_API_URL: api,
          OAUTH_TOKEN_URL: `${emulator}/oauth2/token`,
          // DEV-ONLY demo credentials of the emulator's shipped pool.
          OAUTH_CLIENT_ID: 'weather-caller',
          OAUTH_CLIENT_SECRET: 'weather-caller-dev-secret',
          OAUTH_SCOPES: 'weather-api/forecast.read',
        },
      }),
    },
  ];
  const stop = () => Promise.all(services.map((s) => s.proc.stop(5000)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const dead = services.find((s) => s.proc.exited);
    if (dead || Date.now() > deadline) {
      await stop();
      throw new Error(`${dead ? `${dead.name} exited` : 'timed out'}:\n${dead?.proc.output ?? ''}`);
    }
    const ok = await fetch(`${caller}/forecast`, { signal: AbortSignal.timeout(2000) })
      .then(async (r) => (await r.arrayBuffer(), r.status === 200))
      .catch(() => false);
    if (ok) break;
    await sleep(20);
  }
  return { ms: performance.now() - t0, services, caller, stop };
}

/** In plain mode, waits for `previous` to be ready first (the wait is part of the time). */
async function launchAfter(previous, args, options) {
  if (values.mode === 'plain' && !(await waitReady(previous, { pollMs: 20 }))) {
    throw new Error(`${previous} not ready`);
  }
  return launch(args, options);
}

async function load(url, calls, concurrency) {
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < calls) {
      next += 1;
      const res = await fetch(url).catch(() => undefined);
      if (res) await res.arrayBuffer();
      if (res?.status !== 200) failures += 1;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { failures, seconds: (performance.now() - t0) / 1000 };
}

const fmt = (n, digits = 1) => (n === undefined ? 'n/a' : n.toFixed(digits));

if (!buildIfStale({ say: (m) => console.log(m) })) process.exit(1);
console.log(
  `node ${process.version}, mode ${values.mode}, NODE_ENV=${values['node-env']}, ${RUNS} start-up runs, ${CALLS} calls at concurrency ${CONCURRENCY}\n`,
);

const times = [];
let last;
for (let run = 1; run <= RUNS; run += 1) {
  const fleet = await startFleet();
  times.push(fleet.ms);
  console.log(`run ${run}: launch -> caller's first successful call ${fmt(fleet.ms, 0)} ms`);
  if (run < RUNS) await fleet.stop();
  else last = fleet;
}
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];

let exitCode = 0;
try {
  await sleep(2000);
  const idle = await Promise.all(last.services.map((s) => rssMiB(s.proc.pid)));
  const result = await load(`${last.caller}/forecast`, CALLS, CONCURRENCY);
  const after = await Promise.all(last.services.map((s) => rssMiB(s.proc.pid)));
  const peak = await Promise.all(last.services.map((s) => peakMiB(s.proc.pid)));
  console.log(
    `\n${CALLS} calls to the caller's GET /forecast: ${fmt(CALLS / result.seconds, 0)} req/s, ${result.failures} not 200\n`,
  );
  const rows = [
    ['service', 'RSS idle MiB', `RSS after ${CALLS} MiB`, 'peak MiB', `< ${GOAL_RSS_MIB} MiB`],
    ...last.services.map((s, i) => [
      s.name,
      fmt(idle[i]),
      fmt(after[i]),
      fmt(peak[i]),
      peak[i] !== undefined && peak[i] < GOAL_RSS_MIB ? 'yes' : 'NO',
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c])).join('  '));
  console.log(
    `\nstart-up to first call: median ${fmt(median, 0)} ms of ${RUNS} (${times.map((t) => fmt(t, 0)).join(', ')}); goal < ${GOAL_START_MS} ms: ${median < GOAL_START_MS ? 'yes' : 'NO'}`,
  );
  if (result.failures > 0) exitCode = 1;
} finally {
  await last.stop();
}
process.exit(exitCode);
