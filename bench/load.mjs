// Shared helpers of the benchmarks: an HTTP load generator, medians, CPU per request. The
// processes they measure come from the fleet kit (scripts/lib/fleet.mjs).
//
// The load generator runs on the same cores as the servers it measures, so every CPU
// cycle it spends is taken from them. wrk (C, epoll) costs a fraction of what autocannon
// (JavaScript) does per request, so `load()` uses wrk when it is installed (Debian:
// `apt-get install wrk`) and autocannon otherwise; BENCH_LOAD=autocannon forces the
// latter. Every bench prints which one it used: ratios are comparable only between runs
// made with the same generator.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function hasWrk() {
  if (process.env.BENCH_LOAD === 'autocannon') return false;
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 after printing its banner; only a missing binary is fatal.
    return err.code !== 'ENOENT';
  }
}

/** `wrk` or `autocannon`: the load generator `load()` uses in this process. */
export const loadTool = hasWrk() ? 'wrk' : 'autocannon';

const luaString = (s) => JSON.stringify(String(s));

/**
 * Drives `url` with `connections` keep-alive connections for `seconds` and returns
 * `{ requests, rps, p50, p99 (ms), bad (non-2xx + socket errors) }`.
 */
export async function load({ url, method = 'GET', headers = {}, body, connections, seconds }) {
  return loadTool === 'wrk'
    ? wrk({ url, method, headers, body, connections, seconds })
    : autocannonLoad({ url, method, headers, body, connections, seconds });
}

async function wrk({ url, method, headers, body, connections, seconds }) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
  const script = join(dir, 'request.lua');
  const lines = [`wrk.method = ${luaString(method)}`];
  if (body !== undefined) lines.push(`wrk.body = ${luaString(body)}`);
  for (const [name, value] of Object.entries(headers)) {
    lines.push(`wrk.headers[${luaString(name)}] = ${luaString(value)}`);
  }
  // One JSON line at the end; no per-response Lua callback (it would slow wrk down).
  lines.push(
    'done = function(s, latency)',
    '  io.write(string.format(\'\\nBENCH {"requests":%d,"duration_us":%d,"status":%d,' +
      '"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\\n\',',
    '    s.requests, s.duration, s.errors.status, s.errors.connect, s.errors.read,',
    '    s.errors.write, s.errors.timeout, latency:percentile(50), latency:percentile(99)))',
    'end',
  );
  writeFileSync(script, `${lines.join('\n')}\n`);
  try {
    const stdout = await new Promise((resolve, reject) => {
      execFile(
        'wrk',
        ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, url],
        (err, out, errOut) =>
          err ? reject(new Error(`wrk: ${err.message}\n${errOut}`)) : resolve(out),
      );
    });
    const line = stdout.split('\n').find((l) => l.startsWith('BENCH '));
    if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
    const r = JSON.parse(line.slice('BENCH '.length));
    const bad = r.status + r.connect + r.read + r.write + r.timeout;
    return {
      requests: r.requests,
      rps: r.requests / (r.duration_us / 1e6),
      p50: r.p50_us / 1000,
      p99: r.p99_us / 1000,
      bad,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function autocannonLoad({ url, method, headers, body, connections, seconds }) {
  const { default: autocannon } = await import('autocannon');
  const r = await autocannon({ url, method, headers, body, connections, duration: seconds });
  return {
    requests: r['2xx'],
    rps: r['2xx'] / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    bad: r.non2xx + r.errors + r.timeouts,
  };
}

/** The median (upper median for an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Formats milliseconds for the bench output. */
export const ms = (x) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;

let clockTicks;
/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined
 * elsewhere. CPU per request is far less sensitive to other load on the machine than
 * requests per second, so the benches print it beside the rates as a diagnostic.
 */
export function cpuSeconds(pid) {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is the state (field 3 of stat(5)); utime and stime are fields 14 and 15.
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return undefined;
  }
}

/** Runs `fn` and adds `cpuMsPerRequest` (CPU of process `pid` per request) to its result. */
export async function withCpu(pid, fn) {
  const before = cpuSeconds(pid);
  const result = await fn();
  const after = cpuSeconds(pid);
  const cpuMsPerRequest =
    before === undefined || after === undefined || !result.requests
      ? undefined
      : ((after - before) * 1000) / result.requests;
  return { ...result, cpuMsPerRequest };
}

/** GET `url`/forecast for `seconds` with the process `pid`'s CPU measured; throws on failures. */
export async function loadForecast(url, seconds, connections, pid) {
  const r = await withCpu(pid, () => load({ url: `${url}/forecast`, connections, seconds }));
  if (r.bad) throw new Error(`${url}/forecast: ${r.bad} failed requests`);
  return r;
}
