import { getTokenProviderToken, type TokenProvider } from '@nest-m2m-cognito/auth/client';
import { startEmulator } from '../../cognito-emulator/src/bootstrap.js';
import { startWeatherApi } from '../../weather-api/src/bootstrap.js';
import { startCaller } from '../src/bootstrap.js';
import { READ_CLIENT, WRITE_CLIENT } from '../src/weather/weather.client.js';
import { READ_SECRET, WRITE_SECRET } from './fleet.js';

// The three services as they run in production (pino JSON logs, metrics, probes), each
// writing its log lines to a collector instead of standard output.
type Emulator = Awaited<ReturnType<typeof startEmulator>>;
type WeatherApi = Awaited<ReturnType<typeof startWeatherApi>>;
type Caller = Awaited<ReturnType<typeof startCaller>>;
type Line = Record<string, unknown> & { service: string; msg: string; level: number };

const lines: string[] = [];
const capture = { write: (line: string) => void lines.push(line) };
const tokens = new Set<string>();
let emulator: Emulator;
let api: WeatherApi;
let caller: Caller;
let readToken: string;

const parsed = () => lines.map((l) => JSON.parse(l) as Line);

async function issue(clientId: string, secret: string, scope?: string) {
  const res = await fetch(emulator.tokenUrl, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: `grant_type=client_credentials${scope ? `&scope=${encodeURIComponent(scope)}` : ''}`,
  });
  return { status: res.status, body: (await res.json()) as { access_token?: string } };
}

/** The value of one series in a Prometheus text scrape (labels in any order), 0 when absent. */
async function metric(url: string, name: string, labels: Record<string, string>) {
  const text = await (await fetch(`${url}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const set = line.slice(name.length + 1, line.indexOf('}'));
    if (Object.entries(labels).every(([k, v]) => set.split(',').includes(`${k}="${v}"`))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return 0;
}

beforeAll(async () => {
  emulator = await startEmulator({ PORT: '0' }, { logDestination: capture });
  api = await startWeatherApi(
    { PORT: '0', AUTH_ISSUER: emulator.issuer },
    { logDestination: capture },
  );
  caller = await startCaller(
    {
      PORT: '0',
      WEATHER_API_URL: api.url,
      OAUTH_TOKEN_URL: emulator.tokenUrl,
      OAUTH_CLIENT_ID: 'weather-caller',
      OAUTH_CLIENT_SECRET: READ_SECRET,
      OAUTH_WRITE_CLIENT_ID: 'weather-admin',
      OAUTH_WRITE_CLIENT_SECRET: WRITE_SECRET,
    },
    { logDestination: capture },
  );

  // The known sequence.
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${caller.url}/forecast`, { headers: { 'x-request-id': `obs-${i}` } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
  const posted = await fetch(`${caller.url}/observations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'x-request-id': 'obs-write' },
    body: JSON.stringify({ date: '2030-01-01', temperatureC: 12, summary: 'Mild' }),
  });
  expect(posted.status).toBe(201);
  await posted.arrayBuffer();

  readToken = (await issue('weather-caller', READ_SECRET)).body.access_token ?? '';
  expect(readToken).not.toBe('');
  expect((await issue('weather-caller', 'not-the-secret')).status).toBe(400);

  const direct = (init: RequestInit) => fetch(`${api.url}/weatherforecast`, init);
  expect((await direct({})).status).toBe(401);
  expect((await direct({ headers: { Authorization: 'Bearer not-a-jwt-at-all' } })).status).toBe(
    401,
  );
  const forbidden = await direct({
    method: 'POST',
    headers: { Authorization: `Bearer ${readToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ date: '2030-01-01', temperatureC: 1 }),
  });
  expect(forbidden.status).toBe(403);

  tokens.add(readToken);
  for (const name of [READ_CLIENT, WRITE_CLIENT]) {
    tokens.add(await caller.app.get<TokenProvider>(getTokenProviderToken(name)).getToken());
  }
});

afterAll(async () => {
  await caller.close();
  await api.close();
  await emulator.close();
});

describe('metrics after a known sequence of calls', () => {
  it('weather-api counts every decision by outcome and reason, and one key-set fetch', async () => {
    const decisions = (outcome: string, reason: string) =>
      metric(api.url, 'auth_decisions_total', { outcome, reason, service: 'weather-api' });
    expect(await decisions('allowed', 'ok')).toBe(4);
    expect(await decisions('denied', 'no_token')).toBe(1);
    expect(await decisions('denied', 'malformed')).toBe(1);
    expect(await decisions('denied', 'insufficient_scope')).toBe(1);
    expect(await decisions('denied', 'expired')).toBe(0);
    expect(await metric(api.url, 'auth_jwks_fetches_total', { outcome: 'success' })).toBe(1);
    expect(await metric(api.url, 'auth_jwks_fetches_total', { outcome: 'failure' })).toBe(0);
  });

  it('the caller counts one token request per client, cache hits and misses, and call latencies', async () => {
    const m = (name: string, labels: Record<string, string>) => metric(caller.url, name, labels);
    expect(
      await m('m2m_token_requests_total', { client_id: 'weather-caller', outcome: 'success' }),
    ).toBe(1);
    expect(
      await m('m2m_token_requests_total', { client_id: 'weather-admin', outcome: 'success' }),
    ).toBe(1);
    // 3 reads: one miss then two hits; 1 write: one miss; plus the test's two look-ups (hits).
    expect(await m('m2m_token_cache_total', { client_id: 'weather-caller', result: 'miss' })).toBe(
      1,
    );
    expect(await m('m2m_token_cache_total', { client_id: 'weather-caller', result: 'hit' })).toBe(
      3,
    );
    expect(await m('m2m_token_cache_total', { client_id: 'weather-admin', result: 'miss' })).toBe(
      1,
    );
    expect(await m('m2m_token_cache_total', { client_id: 'weather-admin', result: 'hit' })).toBe(1);
    expect(
      await m('m2m_downstream_request_duration_seconds_count', {
        client_id: 'weather-caller',
        method: 'GET',
        status_class: '2xx',
      }),
    ).toBe(3);
    expect(
      await m('m2m_downstream_request_duration_seconds_count', {
        client_id: 'weather-admin',
        method: 'POST',
        status_class: '2xx',
      }),
    ).toBe(1);
  });

  it('the emulator counts token requests by client and outcome', async () => {
    const requests = (client_id: string, outcome: string) =>
      metric(emulator.url, 'cognito_emulator_token_requests_total', { client_id, outcome });
    expect(await requests('weather-caller', 'success')).toBe(2);
    expect(await requests('weather-caller', 'invalid_client')).toBe(1);
    expect(await requests('weather-admin', 'success')).toBe(1);
  });

  it('labels carry no token, secret or path with an id', async () => {
    for (const url of [emulator.url, api.url, caller.url]) {
      const text = await (await fetch(`${url}/metrics`)).text();
      expect(text).not.toContain('eyJ');
      expect(text).not.toContain(READ_SECRET);
      expect(text).not.toContain('obs-');
    }
  });
});

describe('logs of the three services', () => {
  it('contain no secret and no token issued during the run', () => {
    const text = lines.join('');
    expect(lines.length).toBeGreaterThan(10);
    for (const leaked of [READ_SECRET, WRITE_SECRET, 'not-the-secret', 'eyJ', ...tokens]) {
      expect(text).not.toContain(leaked);
    }
  });

  it('carry the request id from the caller to weather-api', () => {
    const byId = (id: string) =>
      parsed()
        .filter((l) => l.reqId === id && l.msg === 'request completed')
        .map((l) => [l.service, (l.req as { url: string }).url]);
    expect(byId('obs-0')).toEqual([
      ['weather-api', '/weatherforecast'],
      ['caller', '/forecast'],
    ]);
    expect(byId('obs-write')).toEqual([
      ['weather-api', '/weatherforecast'],
      ['caller', '/observations'],
    ]);
  });

  it('log each auth denial once, at info, with its reason and client id', () => {
    const denials = parsed().filter((l) => l.msg.startsWith('auth denied'));
    expect(denials.map((l) => [l.service, l.level, l.reason, l.client_id])).toEqual([
      ['weather-api', 30, 'no_token', '-'],
      ['weather-api', 30, 'malformed', '-'],
      ['weather-api', 30, 'insufficient_scope', 'weather-caller'],
    ]);
  });
});
