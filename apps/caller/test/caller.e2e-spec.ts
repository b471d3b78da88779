import { getTokenProviderToken, type TokenProvider } from '@nest-m2m-cognito/auth/client';
import { startEmulator } from '../../cognito-emulator/src/bootstrap.js';
import { startWeatherApi } from '../../weather-api/src/bootstrap.js';
import { startCaller, type StartedCaller } from '../src/bootstrap.js';
import { READ_CLIENT, WRITE_CLIENT } from '../src/weather/weather.client.js';
import {
  demoCallerEnv,
  CapturingLogger,
  movableClock,
  READ_SECRET,
  tokenRequests,
  WRITE_SECRET,
} from './fleet.js';

// The fleet as users run it: the real emulator, the real weather-api and the caller, each on an
// ephemeral port; token requests counted at the emulator's /metrics.
type Emulator = Awaited<ReturnType<typeof startEmulator>>;
type WeatherApi = Awaited<ReturnType<typeof startWeatherApi>>;
let emulator: Emulator;
let api: WeatherApi;
const logs = new CapturingLogger();
const callers: StartedCaller[] = [];
const tokensSeen = new Set<string>();

beforeAll(async () => {
  emulator = await startEmulator({ PORT: '0', LOG_LEVEL: 'warn' });
  api = await startWeatherApi({ PORT: '0', LOG_LEVEL: 'warn', AUTH_ISSUER: emulator.issuer });
});

// Each test closes its callers: providers with the same credentials share one token per
// process, and the token goes away with the last of them, so every test starts cold.
afterEach(async () => {
  await Promise.all(callers.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await api.close();
  await emulator.close();
  expect(tokensSeen.size).toBeGreaterThan(0);
  expect(logs.lines.length).toBeGreaterThan(0);
  expect(logs.text).not.toContain(READ_SECRET);
  expect(logs.text).not.toContain(WRITE_SECRET);
  expect(logs.text).not.toContain('eyJ');
  for (const token of tokensSeen) expect(logs.text).not.toContain(token);
});

async function boot(clock?: { now(): number }) {
  const caller = await startCaller(demoCallerEnv(api.url, emulator.tokenUrl), {
    logger: logs,
    clock,
  });
  callers.push(caller);
  return caller;
}

async function remember(caller: StartedCaller) {
  for (const name of [READ_CLIENT, WRITE_CLIENT]) {
    const provider = caller.app.get<TokenProvider>(getTokenProviderToken(name));
    tokensSeen.add(await provider.getToken());
  }
}

const reads = () => tokenRequests(emulator.url, 'weather-caller');

describe('caller with the emulator and weather-api', () => {
  it('1,000 sequential GET /forecast cost one token request', async () => {
    const caller = await boot();
    const before = await reads();
    for (let i = 0; i < 1_000; i++) {
      const res = await fetch(`${caller.url}/forecast`);
      expect(res.status).toBe(200);
      if (i === 0) expect(await res.json()).toHaveLength(5);
      else await res.arrayBuffer();
    }
    expect((await reads()) - before).toBe(1);
    await remember(caller);
  });

  it('200 concurrent calls from a cold start cost one token request', async () => {
    const caller = await boot();
    const before = await reads();
    const statuses = await Promise.all(
      Array.from({ length: 200 }, async () => (await fetch(`${caller.url}/forecast`)).status),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect((await reads()) - before).toBe(1);
    await remember(caller);
  });

  it('two callers in one process with the same credentials share one token request', async () => {
    const [a, b] = [await boot(), await boot()];
    const before = await reads();
    const statuses = await Promise.all(
      Array.from(
        { length: 100 },
        async (_, i) => (await fetch(`${(i % 2 ? a : b).url}/forecast`)).status,
      ),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect((await reads()) - before).toBe(1);
    await remember(a);
  });

  it('expiry costs exactly one more token request', async () => {
    const clock = movableClock();
    const caller = await boot(clock);
    const before = await reads();
    expect((await fetch(`${caller.url}/forecast`)).status).toBe(200);
    clock.advance(1_000_000); // before refresh-ahead of the demo client's 3,600 s
    expect((await fetch(`${caller.url}/forecast`)).status).toBe(200);
    expect((await reads()) - before).toBe(1);
    await remember(caller);
    clock.advance(3_600_000); // past expiry
    for (let i = 0; i < 10; i++) expect((await fetch(`${caller.url}/forecast`)).status).toBe(200);
    expect((await reads()) - before).toBe(2);
    await remember(caller);
  });

  it('POST /observations goes through the write client and shows up in the forecast', async () => {
    const caller = await boot();
    const writesBefore = await tokenRequests(emulator.url, 'weather-admin');
    const observation = { date: '2031-05-06', temperatureC: 17, summary: 'Caller e2e' };
    const res = await fetch(`${caller.url}/observations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(observation),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject(observation);
    expect((await tokenRequests(emulator.url, 'weather-admin')) - writesBefore).toBe(1);
    const forecast = (await (await fetch(`${caller.url}/forecast`)).json()) as unknown[];
    expect(forecast).toContainEqual(expect.objectContaining(observation));
    await remember(caller);
  });

  it('a read client without the write scope gets a 502 naming insufficient_scope', async () => {
    const caller = await startCaller(
      {
        PORT: '0',
        LOG_LEVEL: 'warn',
        WEATHER_API_URL: api.url,
        OAUTH_TOKEN_URL: emulator.tokenUrl,
        OAUTH_CLIENT_ID: 'weather-caller',
        OAUTH_CLIENT_SECRET: READ_SECRET,
        OAUTH_WRITE_CLIENT_ID: 'weather-caller',
        OAUTH_WRITE_CLIENT_SECRET: READ_SECRET,
        OAUTH_WRITE_SCOPES: 'weather-api/forecast.read',
      },
      { logger: logs },
    );
    callers.push(caller);
    const res = await fetch(`${caller.url}/observations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ date: '2031-05-07', temperatureC: 1 }),
    });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({
      error: 'bad_gateway',
      dependency: 'weather-api',
      dependency_status: 403,
      dependency_error: 'insufficient_scope',
    });
    await remember(caller);
  });

  it('exposes the client metrics without tokens or secrets in labels', async () => {
    const caller = await boot();
    await fetch(`${caller.url}/forecast`);
    await fetch(`${caller.url}/forecast`);
    const metrics = await (await fetch(`${caller.url}/metrics`)).text();
    expect(metrics).toMatch(
      /m2m_token_requests_total\{[^}]*client_id="weather-caller"[^}]*outcome="success"[^}]*\} 1/,
    );
    expect(metrics).toMatch(
      /m2m_token_cache_total\{[^}]*client_id="weather-caller"[^}]*result="hit"[^}]*\} 1/,
    );
    expect(metrics).toMatch(
      /m2m_downstream_request_duration_seconds_count\{[^}]*status_class="2xx"/,
    );
    expect(metrics).not.toContain(READ_SECRET);
    expect(metrics).not.toContain('eyJ');
  });
});
