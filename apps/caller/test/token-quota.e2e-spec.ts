import { startEmulator } from '../../cognito-emulator/src/bootstrap.js';
import { startCaller, type StartedCaller } from '../src/bootstrap.js';
import { demoCallerEnv, ScriptedApi, WRITE_SECRET } from './fleet.js';

// Cognito's token endpoint has a quota; the emulator can be given one
// (COGNITO_EMULATOR_TOKEN_RPS) and the caller must wait as Retry-After says.
type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let emulator: Emulator;
let api: ScriptedApi;
let caller: StartedCaller;

beforeAll(async () => {
  emulator = await startEmulator({ PORT: '0', LOG_LEVEL: 'warn', COGNITO_EMULATOR_TOKEN_RPS: '1' });
  api = await new ScriptedApi().start();
  // Two attempts: one that meets the quota, and one after the wait Retry-After asks for.
  // Retrying on the backoff alone (at most 100 ms later) would meet the quota again.
  caller = await startCaller({
    ...demoCallerEnv(api.url, emulator.tokenUrl),
    OAUTH_RETRY_MAX_ATTEMPTS: '2',
  });
});

afterAll(async () => {
  await caller.close();
  await api.stop();
  await emulator.close();
});

const takeQuota = () =>
  fetch(emulator.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'weather-admin',
      client_secret: WRITE_SECRET,
    }),
  });

describe('the token endpoint quota (COGNITO_EMULATOR_TOKEN_RPS)', () => {
  it('answers 429 with Retry-After beyond the quota, and the caller waits that long, then succeeds', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // a fresh quota second
    expect((await takeQuota()).status).toBe(200);
    const over = await takeQuota();
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('1');
    expect(over.headers.get('cache-control')).toBe('no-store');
    expect(await over.json()).toMatchObject({ error: 'too_many_requests' });

    const started = Date.now();
    const res = await fetch(`${caller.url}/forecast`);
    expect(res.status).toBe(200);
    // Its first token request met the quota; the second came after Retry-After.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(api.tokens.filter((t) => t !== '')).toHaveLength(1);
  });
});
