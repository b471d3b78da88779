// The fleet as users run it: the three services as real processes from dist/, wired
// together on free loopback ports, then restarted and killed under the caller's feet.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchToken } from '../scripts/lib/fleet.mjs';
import {
  decodeJwt,
  issuedTokens,
  ProcessFleet,
  READ_CLIENT,
  READ_SCOPE,
  WRITE_CLIENT,
  WRITE_SCOPE,
} from './helpers/process-fleet.js';

const JWT = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/;
const observation = { date: '2030-06-01', temperatureC: 21, summary: 'Mild' };

describe('the fleet as processes (emulator, weather-api, caller)', () => {
  let dir: string;
  let fleet: ProcessFleet;
  const seenTokens: string[] = [];

  const callerForecast = () => fetch(`${fleet.url('caller')}/forecast`);
  const apiGet = (token?: string) =>
    fetch(`${fleet.url('weather-api')}/weatherforecast`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
  const token = async (client = READ_CLIENT, scope?: string) => {
    const t = await fetchToken(fleet.tokenUrl, client, scope);
    seenTokens.push(t);
    return t;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleet-e2e-'));
    fleet = await ProcessFleet.start(join(dir, 'keys.json'));
  });

  afterAll(async () => {
    await fleet?.stopAll();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('the demo story', () => {
    it('issues the same kind of token with client_secret_basic and client_secret_post', async () => {
      const basic = await token();
      const res = await fetch(fleet.tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: READ_CLIENT.id,
          client_secret: READ_CLIENT.secret,
        }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
      const post = body.access_token as string;
      seenTokens.push(post);

      for (const t of [basic, post]) {
        const { header, claims } = decodeJwt(t);
        expect(header).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
        expect(claims).toMatchObject({
          iss: fleet.issuer,
          client_id: READ_CLIENT.id,
          sub: READ_CLIENT.id,
          token_use: 'access',
          scope: READ_SCOPE,
          version: 2,
        });
        expect(claims).not.toHaveProperty('aud');
        expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
      }
    });

    it('weather-api: 401 without a token, 200 and the forecast with one', async () => {
      const none = await apiGet();
      expect(none.status).toBe(401);
      const challenge = none.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer realm="[^"]+"/);
      expect(challenge).not.toContain('error=');

      const ok = await apiGet(await token());
      expect(ok.status).toBe(200);
      const days = (await ok.json()) as { date: string; temperatureC: number }[];
      expect(days.length).toBeGreaterThanOrEqual(5);
      expect(days[0]).toMatchObject({ date: expect.any(String), temperatureC: expect.any(Number) });
    });

    it('weather-api: writing takes forecast.write (403 with a read-only token, 201 with admin)', async () => {
      const post = (t: string) =>
        fetch(`${fleet.url('weather-api')}/weatherforecast`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${t}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(observation),
        });
      const denied = await post(await token());
      expect(denied.status).toBe(403);
      expect(denied.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
      expect(denied.headers.get('www-authenticate')).toContain(`scope="${WRITE_SCOPE}"`);

      const created = await post(await token(WRITE_CLIENT));
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ date: '2030-06-01', temperatureC: 21 });
    });

    it('caller: GET /forecast and POST /observations through its own tokens', async () => {
      const before = await issuedTokens(fleet.url('emulator'), READ_CLIENT.id);
      const first = await callerForecast();
      expect(first.status).toBe(200);
      expect(((await first.json()) as unknown[]).length).toBeGreaterThanOrEqual(5);
      for (let i = 0; i < 20; i += 1) expect((await callerForecast()).status).toBe(200);
      // One token for the caller's read client, however many calls (its readiness probe
      // may already have fetched it).
      expect(await issuedTokens(fleet.url('emulator'), READ_CLIENT.id)).toBeLessThanOrEqual(
        before + 1,
      );

      const recorded = await fetch(`${fleet.url('caller')}/observations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...observation, date: '2030-06-02' }),
      });
      expect(recorded.status).toBe(201);
    });
  });

  it('weather-api restarted mid-run: the caller answers 503 meanwhile, then recovers on its own', async () => {
    expect((await callerForecast()).status).toBe(200);
    const callerPid = fleet.pid('caller');
    const tokensBefore = await issuedTokens(fleet.url('emulator'), READ_CLIENT.id);

    await fleet.stop('weather-api');
    const down = await callerForecast();
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ dependency: 'weather-api' });

    await fleet.launch('weather-api');
    expect((await callerForecast()).status).toBe(200);
    expect((await callerForecast()).status).toBe(200);
    expect(fleet.pid('caller')).toBe(callerPid);
    expect(fleet.isRunning('caller')).toBe(true);
    // The new weather-api accepts the token the caller already had.
    expect(await issuedTokens(fleet.url('emulator'), READ_CLIENT.id)).toBe(tokensBefore);
  });

  it('emulator restarted with the same keys file: old tokens, new tokens and the caller all keep working', async () => {
    const old = await token();
    const { kid } = decodeJwt(old).header;
    expect((await callerForecast()).status).toBe(200);

    await fleet.restart('emulator');
    const jwks = (await (await fetch(`${fleet.issuer}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((k) => k.kid)).toContain(kid);
    const fresh = await token();
    expect(decodeJwt(fresh).header.kid).toBe(kid);

    // A weather-api started now knows only the restarted emulator's key set.
    await fleet.restart('weather-api');
    expect((await apiGet(old)).status).toBe(200);
    expect((await apiGet(fresh)).status).toBe(200);
    expect((await callerForecast()).status).toBe(200);
  });

  it("emulator killed while the caller's token is valid: calls keep succeeding", async () => {
    expect((await callerForecast()).status).toBe(200);
    await fleet.stop('emulator', 'SIGKILL');
    expect(fleet.isRunning('emulator')).toBe(false);
    await expect(fetch(fleet.tokenUrl, { method: 'POST' })).rejects.toThrow();
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 25; i += 1) statuses.push((await callerForecast()).status);
      expect(statuses).toEqual(Array(25).fill(200));
    } finally {
      await fleet.launch('emulator');
    }
    expect((await callerForecast()).status).toBe(200);
  });

  it('no process logged a client secret or a token', () => {
    const output = fleet.output();
    expect(output.length).toBeGreaterThan(0);
    expect(output).not.toContain(READ_CLIENT.secret);
    expect(output).not.toContain(WRITE_CLIENT.secret);
    for (const t of seenTokens) expect(output).not.toContain(t.split('.')[2]);
    expect(output).not.toMatch(JWT);
  });
});
