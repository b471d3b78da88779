import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEmulator } from '../../cognito-emulator/src/bootstrap.js';
import { startWeatherApi } from '../src/bootstrap.js';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
type WeatherApi = Awaited<ReturnType<typeof startWeatherApi>>;
let emulator: Emulator;
let api: WeatherApi;
let jwks: Server;
let jwksUri: string;
// The key set as weather-api sees it: the emulator's, or a 503 while "unreachable".
let reachable = true;

beforeAll(async () => {
  emulator = await startEmulator({ PORT: '0', LOG_LEVEL: 'warn' });
  jwks = createServer((_req, res) => {
    if (!reachable) {
      res.writeHead(503).end();
      return;
    }
    void fetch(`${emulator.issuer}/.well-known/jwks.json`)
      .then((r) => r.text())
      .then((body) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(body));
  });
  jwks.listen(0, '127.0.0.1');
  await once(jwks, 'listening');
  jwksUri = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
  api = await startWeatherApi({
    PORT: '0',
    LOG_LEVEL: 'warn',
    AUTH_ISSUER: emulator.issuer,
    AUTH_JWKS_URI: jwksUri,
    // Every probe re-checks the key set: no waiting in the test.
    AUTH_JWKS_PENALTY_SECONDS: '0',
    AUTH_JWKS_FAILURE_COOLDOWN_SECONDS: '0',
  });
});

afterAll(async () => {
  await api.close();
  jwks.close();
  await emulator.close();
});

const ready = async () => {
  const res = await fetch(`${api.url}/health/ready`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('weather-api health', () => {
  it('is live and ready once the key set is loaded, without a token', async () => {
    const live = await fetch(`${api.url}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok' });
    expect(await ready()).toEqual({
      status: 200,
      body: expect.objectContaining({
        status: 'ok',
        info: { jwks: { status: 'up', keySets: { [jwksUri]: 'up' } } },
      }) as object,
    });
    // The legacy route stays, as an alias of live.
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
  });

  it('turns unready while the key set is unreachable, and ready again after', async () => {
    reachable = false;
    const down = await ready();
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({
      status: 'error',
      error: {
        jwks: {
          status: 'down',
          reason: 'the issuer key set is unreachable',
          keySets: { [jwksUri]: 'unreachable' },
        },
      },
    });
    // Liveness is unaffected: restarting would not bring the issuer back.
    expect((await fetch(`${api.url}/health/live`)).status).toBe(200);

    reachable = true;
    expect((await ready()).status).toBe(200);
  });
});
