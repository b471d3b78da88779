import { startEmulator } from '../src/bootstrap.js';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let emulator: Emulator;
const DOCS = 'http://127.0.0.1:3999';
const basic = `Basic ${Buffer.from('weather-caller:weather-caller-dev-secret').toString('base64')}`;

beforeAll(async () => {
  emulator = await startEmulator({
    PORT: '0',
    LOG_LEVEL: 'warn',
    COGNITO_EMULATOR_CORS_ORIGINS: `${DOCS}, http://localhost:3999`,
  });
});
afterAll(() => emulator.close());

const preflight = (origin: string, headers = 'authorization,content-type,x-requested-with') =>
  fetch(emulator.tokenUrl, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': headers,
    },
  });

const token = (origin?: string) =>
  fetch(emulator.tokenUrl, {
    method: 'POST',
    headers: {
      Authorization: basic,
      'Content-Type': 'application/x-www-form-urlencoded',
      ...(origin && { Origin: origin }),
    },
    body: 'grant_type=client_credentials',
  });

describe('token endpoint CORS', () => {
  it('answers a preflight from a configured origin with that origin, POST and the headers', async () => {
    const res = await preflight(DOCS);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(DOCS);
    expect(res.headers.get('access-control-allow-methods')).toBe('POST');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/content-type/);
    expect(res.headers.get('vary')).toMatch(/Origin/);
    expect((await preflight('http://localhost:3999')).status).toBe(204);
  });

  it('lets the browser read the token answer for a configured origin only, never *', async () => {
    const allowed = await token(DOCS);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(DOCS);
    expect(((await allowed.json()) as { token_type: string }).token_type).toBe('Bearer');

    const other = await token('http://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    await other.arrayBuffer();
    const none = await token();
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
    await none.arrayBuffer();
  });

  it('refuses a preflight from another origin or with other headers, as JSON 403', async () => {
    for (const res of [
      await preflight('http://evil.example'),
      await preflight(DOCS, 'authorization,x-custom'),
    ]) {
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(await res.json()).toMatchObject({ error: 'cors_origin_not_allowed' });
    }
  });

  it('adds no CORS to other endpoints', async () => {
    const res = await fetch(`${emulator.issuer}/.well-known/jwks.json`, {
      headers: { Origin: DOCS },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    await res.arrayBuffer();
  });

  it('refuses "*" and non-origins at start-up, naming the variable', async () => {
    for (const bad of ['*', 'http://x/path', 'not a url']) {
      await expect(
        startEmulator({ PORT: '0', LOG_LEVEL: 'warn', COGNITO_EMULATOR_CORS_ORIGINS: bad }),
      ).rejects.toThrow(/COGNITO_EMULATOR_CORS_ORIGINS/);
    }
  });
});
