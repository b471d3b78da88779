import { demoCallerEnv } from '../apps/caller/test/fleet.js';
import { startCaller } from '../apps/caller/src/bootstrap.js';
import { startEmulator } from '../apps/cognito-emulator/src/bootstrap.js';
import { startWeatherApi } from '../apps/weather-api/src/bootstrap.js';

// The three services in this process, each with its own registry: after a known sequence
// of calls, every service's inbound HTTP counters and latency histograms hold exactly
// those calls; and every answer carries the security headers, without X-Powered-By.
type Started = { url: string; close(): Promise<void> };
let emulator: Awaited<ReturnType<typeof startEmulator>>;
let api: Started;
let caller: Started;

const API_POLICY = "default-src 'none';frame-ancestors 'none'";

/** Every `http_requests_total` series of a scrape, and the histogram counts beside them. */
async function inbound(url: string) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) =>
    Object.fromEntries(
      text
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`))
        .map((l) => {
          const labels = l.slice(name.length + 1, l.lastIndexOf('}'));
          const method = /method="([^"]*)"/.exec(labels)?.[1];
          const route = /route="([^"]*)"/.exec(labels)?.[1];
          const status = /status_class="([^"]*)"/.exec(labels)?.[1];
          return [`${method} ${route} ${status}`, Number(l.slice(l.lastIndexOf(' ') + 1))];
        }),
    );
  return {
    requests: read('http_requests_total'),
    durations: read('http_request_duration_seconds_count'),
    text,
  };
}

const emulatorCount = (text: string, series: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(series))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);

beforeAll(async () => {
  emulator = await startEmulator({ PORT: '0', LOG_LEVEL: 'warn' });
  api = await startWeatherApi({ PORT: '0', LOG_LEVEL: 'warn', AUTH_ISSUER: emulator.issuer });
  caller = await startCaller(demoCallerEnv(api.url, emulator.tokenUrl));
});

afterAll(async () => {
  await caller?.close();
  await api?.close();
  await emulator?.close();
});

describe('inbound HTTP metrics and security headers, every service', () => {
  it('count exactly the requests each service answered, by route template and status class', async () => {
    for (let i = 0; i < 3; i++) expect((await fetch(`${caller.url}/forecast`)).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      expect((await fetch(`${api.url}/weatherforecast`)).status).toBe(401);
    }
    expect((await fetch(`${api.url}/no/such/route`)).status).toBe(404);
    const badClient = await fetch(emulator.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=weather-caller&client_secret=wrong',
    });
    expect(badClient.status).toBe(400);

    const c = await inbound(caller.url);
    expect(c.requests).toEqual({ 'GET /forecast 2xx': 3 });
    expect(c.durations).toEqual(c.requests);

    const a = await inbound(api.url);
    expect(a.requests).toEqual({
      'GET /weatherforecast 2xx': 3,
      'GET /weatherforecast 4xx': 2,
      'GET unmatched 4xx': 1,
    });
    expect(a.durations).toEqual(a.requests);

    // The emulator's own counters say how many token and key-set requests it served.
    const e = await inbound(emulator.url);
    const tokens = emulatorCount(e.text, 'cognito_emulator_token_requests_total{');
    const keySets = emulatorCount(e.text, 'cognito_emulator_jwks_requests_total');
    expect(tokens).toBe(2);
    expect(keySets).toBeGreaterThan(0);
    expect(e.requests).toEqual({
      'POST /oauth2/token 2xx': 1,
      'POST /oauth2/token 4xx': 1,
      'GET /:poolId/.well-known/jwks.json 2xx': keySets,
    });
    expect(e.durations).toEqual(e.requests);
  });

  it('answer with security headers and no X-Powered-By, the docs page included', async () => {
    const answers = {
      caller: await fetch(`${caller.url}/forecast`),
      'weather-api 401': await fetch(`${api.url}/weatherforecast`),
      'weather-api docs': await fetch(`${api.url}/docs`),
      emulator: await fetch(`${emulator.issuer}/.well-known/jwks.json`),
    };
    for (const [name, res] of Object.entries(answers)) {
      await res.arrayBuffer();
      expect(res.headers.get('x-powered-by'), name).toBeNull();
      expect(res.headers.get('x-content-type-options'), name).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), name).toBe('SAMEORIGIN');
      expect(res.headers.get('referrer-policy'), name).toBe('no-referrer');
      expect(res.headers.get('cross-origin-opener-policy'), name).toBe('same-origin');
    }
    expect(answers.caller.headers.get('content-security-policy')).toBe(API_POLICY);
    expect(answers.emulator.headers.get('content-security-policy')).toBe(API_POLICY);
    // The emulator is a local dev tool: no HSTS pinning localhost to HTTPS in the browser.
    expect(answers.emulator.headers.get('strict-transport-security')).toBeNull();
    expect(answers.caller.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
    const docsPolicy = answers['weather-api docs'].headers.get('content-security-policy');
    expect(answers['weather-api docs'].status).toBe(200);
    expect(docsPolicy).toContain("script-src 'self'");
    expect(docsPolicy).toContain(`connect-src 'self' ${new URL(emulator.tokenUrl).origin}`);
    expect(docsPolicy).not.toContain('upgrade-insecure-requests');
    expect(answers['weather-api 401'].headers.get('content-security-policy')).toBe(docsPolicy);
  });
});
