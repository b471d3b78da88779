import { startEmulator } from '../../cognito-emulator/src/bootstrap.js';
import { startCaller, type StartedCaller } from '../src/bootstrap.js';
import {
  demoCallerEnv,
  CapturingLogger,
  movableClock,
  READ_SECRET,
  ScriptedApi,
  TcpProxy,
  tokenRequests,
  WRITE_SECRET,
} from './fleet.js';

// The caller against the real emulator and a scripted weather-api, for what a real
// weather-api would not do on demand: answer 401 for a valid token, or be the only one up.
type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let emulator: Emulator;
let api: ScriptedApi;
let caller: StartedCaller | undefined;
const logs = new CapturingLogger();

beforeAll(async () => {
  emulator = await startEmulator({ PORT: '0', LOG_LEVEL: 'warn' });
  api = await new ScriptedApi().start();
});

afterEach(async () => {
  await caller?.close();
  caller = undefined;
});

afterAll(async () => {
  await api.stop();
  await emulator.close();
  // Neither a secret nor any token in anything logged during these tests.
  expect(logs.lines.length).toBeGreaterThan(0);
  expect(logs.text).not.toContain(READ_SECRET);
  expect(logs.text).not.toContain(WRITE_SECRET);
  expect(logs.text).not.toContain('eyJ');
  for (const token of new Set(api.tokens)) if (token) expect(logs.text).not.toContain(token);
});

async function boot(env: NodeJS.ProcessEnv = {}, clock?: { now(): number }) {
  caller = await startCaller(
    {
      ...demoCallerEnv(api.url, emulator.tokenUrl),
      OAUTH_RETRY_MAX_ATTEMPTS: '2',
      ...env,
    },
    { logger: logs, clock },
  );
  return caller;
}

const get = (path: string) => fetch(`${caller!.url}${path}`);

describe('caller resilience (scripted weather-api)', () => {
  it('weather-api answering 401 once costs exactly one new token and the call succeeds', async () => {
    await boot();
    api.answer = (_t, _n, res) => api.json(res, 200, []);
    expect((await get('/forecast')).status).toBe(200);
    const before = await tokenRequests(emulator.url, 'weather-caller');
    const first = api.tokens.at(-1);
    api.answer = (token, _n, res) =>
      token === first
        ? api.json(
            res,
            401,
            { error: 'invalid_token' },
            {
              'WWW-Authenticate': 'Bearer realm="weather-api", error="invalid_token"',
            },
          )
        : api.json(res, 200, []);
    const res = await get('/forecast');
    expect(res.status).toBe(200);
    expect(await tokenRequests(emulator.url, 'weather-caller')).toBe(before + 1);
    expect(api.tokens.at(-1)).not.toBe(first);
  });

  it('weather-api always answering 401 leads to exactly two attempts and a 502 naming it', async () => {
    await boot();
    const seen = api.tokens.length;
    api.answer = (_t, _n, res) =>
      api.json(
        res,
        401,
        { error: 'invalid_token' },
        {
          'WWW-Authenticate': 'Bearer realm="weather-api", error="invalid_token"',
        },
      );
    const res = await get('/forecast');
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({
      error: 'bad_gateway',
      dependency: 'weather-api',
      dependency_status: 401,
      dependency_error: 'invalid_token',
    });
    expect(api.tokens.length - seen).toBe(2);
  });

  it('weather-api answering 403 is a 502 naming insufficient_scope, with no retry', async () => {
    await boot();
    const seen = api.tokens.length;
    api.answer = (_t, _n, res) =>
      api.json(
        res,
        403,
        { error: 'insufficient_scope' },
        {
          'WWW-Authenticate':
            'Bearer realm="weather-api", error="insufficient_scope", scope="weather-api/forecast.write"',
        },
      );
    const res = await fetch(`${caller!.url}/observations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ date: '2030-01-02', temperatureC: 3, summary: 'Cool' }),
    });
    expect(res.status).toBe(502);
    const body = await res.json();
    expect(body).toMatchObject({
      dependency: 'weather-api',
      dependency_error: 'insufficient_scope',
    });
    expect(JSON.stringify(body)).not.toContain('eyJ');
    expect(api.tokens.length - seen).toBe(1);
  });

  it('a wrong secret costs exactly one token request and a 502 naming invalid_client, for 10 calls', async () => {
    await boot({ OAUTH_CLIENT_SECRET: 'not-the-secret' });
    const before = await tokenRequests(emulator.url, 'weather-caller');
    for (let i = 0; i < 10; i++) {
      const res = await get('/forecast');
      expect(res.status).toBe(502);
      const body = await res.json();
      expect(body).toMatchObject({
        error: 'bad_gateway',
        dependency: 'token-endpoint',
        dependency_error: 'invalid_client',
      });
      expect(JSON.stringify(body)).not.toContain('not-the-secret');
    }
    expect(await tokenRequests(emulator.url, 'weather-caller')).toBe(before + 1);
    expect(logs.text).not.toContain('not-the-secret');
  });

  it('serves while the issuer is down and the token valid; 503 past expiry; recovers when it returns', async () => {
    // The issuer behind a proxy: "down" is the proxy resetting connections, so neither the
    // emulator nor the proxy has to bind a port again.
    const own = await startEmulator({ PORT: '0', LOG_LEVEL: 'warn' });
    const proxy = await new TcpProxy(own.url).start();
    const clock = movableClock();
    await boot({ OAUTH_TOKEN_URL: `${proxy.url}/oauth2/token` }, clock);
    api.answer = (_t, _n, res) => api.json(res, 200, []);
    expect((await get('/forecast')).status).toBe(200);
    expect(await tokenRequests(own.url, 'weather-caller')).toBe(1);
    proxy.setDown(true);

    clock.advance(3_000_000); // past refresh-ahead (2,700 s), before expiry (3,600 s)
    const warnings = () =>
      logs.lines.filter((l) => l.startsWith('warn') && l.includes('unavailable'));
    for (let i = 0; i < 20; i++) expect((await get('/forecast')).status).toBe(200);
    // The background refresh fails on its own schedule (retries with backoff): wait for its
    // one warning, then keep calling: still 200s, and still that one warning, not one per call.
    await vi.waitFor(() => expect(warnings()).toHaveLength(1), { timeout: 15_000, interval: 50 });
    for (let i = 0; i < 20; i++) expect((await get('/forecast')).status).toBe(200);
    expect(warnings()).toHaveLength(1);

    clock.advance(700_000); // past expiry
    const down = await get('/forecast');
    expect(down.status).toBe(503);
    expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await down.json()).toMatchObject({
      error: 'service_unavailable',
      dependency: 'token-endpoint',
    });

    proxy.setDown(false);
    try {
      expect((await get('/forecast')).status).toBe(200);
      expect(await tokenRequests(own.url, 'weather-caller')).toBe(2);
    } finally {
      await proxy.stop();
      await own.close();
    }
  });

  it('weather-api unreachable is a 503 with Retry-After', async () => {
    const gone = await new ScriptedApi().start();
    await gone.stop();
    await boot({ WEATHER_API_URL: gone.url });
    const res = await get('/forecast');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({
      error: 'service_unavailable',
      dependency: 'weather-api',
      dependency_error: 'unreachable',
    });
  });

  it('answers bad input with specific 4xx JSON', async () => {
    await boot();
    const post = (body: string, type = 'application/json') =>
      fetch(`${caller!.url}/observations`, {
        method: 'POST',
        headers: { 'Content-Type': type },
        body,
      });
    const invalid = await post(JSON.stringify({ date: 'yesterday', temperatureC: 500 }));
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { error: string; fields: { field: string }[] };
    expect(body.error).toBe('invalid_request');
    expect(body.fields.map((f) => f.field).sort()).toEqual(['date', 'temperatureC']);
    const malformed = await post('{"date":');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: 'invalid_request' });
    const huge = await post(JSON.stringify({ summary: 'x'.repeat(20_000) }));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: 'payload_too_large' });
    const extra = await post(
      JSON.stringify({ date: '2030-01-02', temperatureC: 1, summary: 'ok', admin: true }),
    );
    expect(extra.status).toBe(400);
    expect((await get('/health')).status).toBe(200);
  });
});
