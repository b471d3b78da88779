// One service of the fleet as its own process from dist/, for tests that attack it alone.
import { join } from 'node:path';
import {
  entryPoint,
  freePort,
  launch,
  type Launched,
  root,
  rssMiB,
  sleep,
} from '../../scripts/lib/fleet.mjs';
import { slowBodyClient, type SlowClientResult, slowHeaderClient } from './hostile-peers.js';

const GUARD = join(root, 'test', 'helpers', 'orphan-guard.mjs');

/** A running service process. */
export interface ServiceProcess {
  app: string;
  url: string;
  proc: Launched;
  /** Resident memory now, in MiB (undefined once it exited). */
  rssMiB(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/**
 * Starts `app` from dist/ on a free loopback port with `env` (over this process's), and waits
 * until `/health/live` answers 200 (liveness: its dependencies may be hostile on purpose).
 */
export async function startService(
  app: 'weather-api' | 'caller' | 'cognito-emulator',
  env: Record<string, string>,
): Promise<ServiceProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = launch(['--import', GUARD, entryPoint(app)], {
    env: {
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
      ...env,
      PORT: String(port),
    },
  });
  const stop = () => proc.stop(3000);
  process.once('exit', () => void proc.stop(0));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !proc.exited) {
    try {
      const res = await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return { app, url, proc, rssMiB: () => rssMiB(proc.pid), stop };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`${app} did not start:\n${proc.output}`);
}

/** Small server deadlines for the tests (the defaults are 5 s and 10 s). */
export const TEST_SERVER_TIMEOUTS = { headersTimeoutMs: 1000, requestTimeoutMs: 2000 };

/** `TEST_SERVER_TIMEOUTS` as the variables `startService` reads. */
export const TEST_SERVER_TIMEOUTS_ENV = {
  HTTP_HEADERS_TIMEOUT_MS: String(TEST_SERVER_TIMEOUTS.headersTimeoutMs),
  HTTP_REQUEST_TIMEOUT_MS: String(TEST_SERVER_TIMEOUTS.requestTimeoutMs),
};

/**
 * `count` slow-header and `count` slow-body clients against `service` (started with
 * `TEST_SERVER_TIMEOUTS_ENV`) at once: each must be answered 408 and closed within its
 * deadline plus Node's one-second check (and some slack for a busy machine), the service
 * must stay live and its RSS grow by less than 100 MiB. Returns the slowest closes seen.
 */
export async function expectSlowClientsClosed(
  service: ServiceProcess,
  postPath: string,
  count = 30,
): Promise<{ headersMs: number; bodyMs: number }> {
  const bound = (deadline: number) => deadline + 1000 + 1500;
  const rssBefore = (await service.rssMiB()) ?? 0;
  const options = { intervalMs: 200, giveUpMs: 15_000 };
  const many = (client: () => Promise<SlowClientResult>) =>
    Promise.all(Array.from({ length: count }, client));
  const [headers, bodies] = await Promise.all([
    many(() => slowHeaderClient(service.url, options)),
    many(() => slowBodyClient(service.url, { ...options, path: postPath })),
  ]);
  for (const { closedAfterMs, response } of headers) {
    expect(closedAfterMs).toBeLessThan(bound(TEST_SERVER_TIMEOUTS.headersTimeoutMs));
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
  }
  for (const { closedAfterMs, response } of bodies) {
    expect(closedAfterMs).toBeGreaterThanOrEqual(TEST_SERVER_TIMEOUTS.requestTimeoutMs - 100);
    expect(closedAfterMs).toBeLessThan(bound(TEST_SERVER_TIMEOUTS.requestTimeoutMs));
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
  }
  expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
  expect(((await service.rssMiB()) ?? Infinity) - rssBefore).toBeLessThan(100);
  const slowest = (results: SlowClientResult[]) =>
    Math.max(...results.map((r) => r.closedAfterMs ?? Infinity));
  console.log(
    `[bounds] ${service.app}: ${count} slow-header clients closed within ${slowest(headers)} ms ` +
      `(timeout ${TEST_SERVER_TIMEOUTS.headersTimeoutMs} ms), ${count} slow-body within ${slowest(bodies)} ms ` +
      `(timeout ${TEST_SERVER_TIMEOUTS.requestTimeoutMs} ms)`,
  );
  return { headersMs: slowest(headers), bodyMs: slowest(bodies) };
}
