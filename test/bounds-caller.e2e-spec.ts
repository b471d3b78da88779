// The caller as a real process, with the emulator as its token endpoint, against a hostile
// stand-in for weather-api on loopback: bodies that trickle or are huge, answers it must
// not relay, error values it must not echo; and both against clients that are too slow.
import {
  type Behaviour,
  type HostilePeer,
  hugeJson,
  respond,
  startPeer,
  trickle,
} from './helpers/hostile-peers.js';
import { launchService, type ServiceProcess } from '../scripts/lib/fleet.mjs';
import { READ_CLIENT, READ_SCOPE, TEST_ENV } from './helpers/process-fleet.js';
import { expectSlowClientsClosed, TEST_SERVER_TIMEOUTS_ENV } from './helpers/slow-clients.js';

const DEADLINE_MS = 1500;
const forecast = JSON.stringify([{ date: '2030-01-01', temperatureC: 1, summary: 'Mild' }]);

describe('the caller against a hostile downstream', () => {
  let emulator: ServiceProcess;
  let caller: ServiceProcess;
  let downstream: HostilePeer;
  let current: Behaviour;
  const get = (path = '/forecast') =>
    fetch(`${caller.url}${path}`, { signal: AbortSignal.timeout(20_000) });

  beforeAll(async () => {
    current = respond(200, { 'Content-Type': 'application/json' }, forecast);
    downstream = await startPeer((req, res) => current(req, res));
    emulator = await launchService('cognito-emulator', {
      env: { ...TEST_ENV, ...TEST_SERVER_TIMEOUTS_ENV },
      until: 'live',
    });
    caller = await launchService('caller', {
      until: 'live',
      env: {
        ...TEST_ENV,
        ...TEST_SERVER_TIMEOUTS_ENV,
        WEATHER_API_URL: downstream.url,
        WEATHER_API_TIMEOUT_MS: String(DEADLINE_MS),
        OAUTH_TOKEN_URL: `${emulator.url}/oauth2/token`,
        OAUTH_CLIENT_ID: READ_CLIENT.id,
        OAUTH_CLIENT_SECRET: READ_CLIENT.secret,
        OAUTH_SCOPES: READ_SCOPE,
      },
    });
  });
  afterAll(async () => {
    await caller?.stop();
    await emulator?.stop();
    await downstream?.close();
  });

  it('relays a JSON forecast (the baseline)', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(forecast));
  });

  it('answers 503 within its deadline when the body trickles, and closes the connection', async () => {
    current = trickle(forecast, 200);
    const since = downstream.connections.length;
    const started = Date.now();
    const res = await get();
    const elapsed = Date.now() - started;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({
      dependency: 'weather-api',
      dependency_error: 'timeout',
    });
    console.log(
      `[bounds] trickling downstream: 503 after ${elapsed} ms (deadline ${DEADLINE_MS} ms)`,
    );
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 100);
    expect(elapsed).toBeLessThan(DEADLINE_MS + 2000);
    expect(await downstream.allClosed(3000, since)).toBe(true);
  });

  it('answers 502 to a 50 MB body at its 4 MiB cap, memory bounded, connection closed', async () => {
    const rssBefore = (await caller.rssMiB()) ?? 0;
    current = hugeJson(50_000_000, false);
    const since = downstream.connections.length;
    const res = await get();
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({
      dependency: 'weather-api',
      dependency_error: 'response_too_large',
    });
    expect(await downstream.allClosed(3000, since)).toBe(true);
    const rssAfter = (await caller.rssMiB()) ?? Infinity;
    console.log(
      `[bounds] 50 MB downstream body: 502, caller RSS ${rssBefore.toFixed(0)} -> ${rssAfter.toFixed(0)} MiB`,
    );
    expect(rssAfter - rssBefore).toBeLessThan(100);
  });

  it('answers 502 JSON, never the page, when the downstream sends a text/plain script', async () => {
    const script = '<script>alert(document.domain)</script>';
    current = respond(200, { 'Content-Type': 'text/plain' }, script);
    const res = await get();
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await res.text();
    expect(text).not.toContain('<script>');
    expect(JSON.parse(text)).toMatchObject({ dependency_error: 'invalid_response' });
  });

  it('echoes no opaque error value of the downstream, in its answer or its log', async () => {
    const opaque = 'q7Zx81Rm_opaque.value';
    current = respond(
      401,
      { 'Content-Type': 'application/json', 'WWW-Authenticate': `Bearer error="${opaque}"` },
      JSON.stringify({ error: opaque, error_description: opaque }),
    );
    const res = await get();
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({
      dependency_status: 401,
      dependency_error: 'http_401',
    });
    expect(text).not.toContain(opaque);
    // The filter logs every 5xx answer it gives; the log has it, without the value.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(caller.output).toMatch(/GET \/forecast -> 502 .*http_401/);
    expect(caller.output).not.toContain(opaque);
  });

  it('closes slow-header and slow-body clients within the bound (caller)', async () => {
    current = respond(200, { 'Content-Type': 'application/json' }, forecast);
    await expectSlowClientsClosed(caller, '/observations');
  });

  it('closes slow-header and slow-body clients within the bound (emulator)', async () => {
    await expectSlowClientsClosed(emulator, '/oauth2/token');
  });
});
