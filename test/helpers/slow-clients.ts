// The bounds tests' check that a service closes clients too slow to send their request.
import type { ServiceProcess } from '../../scripts/lib/fleet.mjs';
import { slowBodyClient, type SlowClientResult, slowHeaderClient } from './hostile-peers.js';

/** Small server deadlines for the tests (the defaults are 5 s and 10 s). */
export const TEST_SERVER_TIMEOUTS = { headersTimeoutMs: 1000, requestTimeoutMs: 2000 };

/** `TEST_SERVER_TIMEOUTS` as the variables every service reads. */
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
