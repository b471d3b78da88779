import { startEmulator } from '../../cognito-emulator/src/bootstrap.js';
import { startCaller } from '../src/bootstrap.js';
import { READ_SECRET, WRITE_SECRET } from './fleet.js';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
type Caller = Awaited<ReturnType<typeof startCaller>>;
let emulator: Emulator;
const callers: Caller[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ PORT: '0', LOG_LEVEL: 'warn' });
});
afterAll(async () => {
  await Promise.all(callers.map((c) => c.close()));
  await emulator.close();
});

async function boot(env: Record<string, string>) {
  const caller = await startCaller({
    PORT: '0',
    LOG_LEVEL: 'fatal',
    WEATHER_API_URL: 'http://127.0.0.1:9',
    OAUTH_TOKEN_URL: emulator.tokenUrl,
    OAUTH_CLIENT_ID: 'weather-caller',
    OAUTH_CLIENT_SECRET: READ_SECRET,
    OAUTH_WRITE_CLIENT_ID: 'weather-admin',
    OAUTH_WRITE_CLIENT_SECRET: WRITE_SECRET,
    OAUTH_RETRY_MAX_ATTEMPTS: '1',
    ...env,
  });
  callers.push(caller);
  return caller;
}

const probe = async (caller: Caller, path: string) => {
  const res = await fetch(`${caller.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('caller health', () => {
  it('is ready once both clients hold a token, without needing weather-api', async () => {
    const caller = await boot({});
    expect(await probe(caller, '/health/ready')).toEqual({
      status: 200,
      body: expect.objectContaining({
        status: 'ok',
        info: { m2m: { status: 'up', 'weather-read': 'up', 'weather-write': 'up' } },
      }) as object,
    });
    expect((await probe(caller, '/health/live')).status).toBe(200);
    expect((await probe(caller, '/health')).status).toBe(200);
  });

  it('is live but not ready while the token endpoint is unreachable', async () => {
    const caller = await boot({ OAUTH_TOKEN_URL: 'http://127.0.0.1:9/oauth2/token' });
    expect((await probe(caller, '/health/live')).status).toBe(200);
    const ready = await probe(caller, '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      error: { m2m: { status: 'down', 'weather-read': 'the token endpoint is unreachable' } },
    });
  });

  it('is not ready when the issuer refuses a client, and names the OAuth error', async () => {
    const caller = await boot({ OAUTH_WRITE_CLIENT_SECRET: 'not-the-secret' });
    const ready = await probe(caller, '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      error: {
        m2m: {
          status: 'down',
          'weather-read': 'up',
          'weather-write': 'the token endpoint refused the client: invalid_client',
        },
      },
    });
    expect(JSON.stringify(ready.body)).not.toContain('not-the-secret');
  });
});
