// The fleet over HTTPS, as `COGNITO_EMULATOR_TLS=true npm start` runs it: the emulator's dev
// CA made before anything starts, the three started at once (weather-api and the caller
// waiting for the emulator, trusting the CA through NODE_EXTRA_CA_CERTS), real processes
// from dist/ on free loopback ports. And a caller that does not trust the CA fails closed.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
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

describe('the fleet over HTTPS (COGNITO_EMULATOR_TLS=true)', () => {
  let dir: string;
  let fleet: ProcessFleet;

  const apiGet = (token?: string) =>
    fetch(`${fleet.url('weather-api')}/weatherforecast`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleet-tls-e2e-'));
    fleet = await ProcessFleet.start(join(dir, 'keys.json'), { tls: true });
  });

  afterAll(async () => {
    await fleet?.stopAll();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the emulator serves a certificate of the dev CA kept beside its keys file', async () => {
    expect(fleet.url('emulator')).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = new X509Certificate(await readFile(join(dir, 'ca.pem'), 'utf8'));
    const port = Number(new URL(fleet.url('emulator')).port);
    const served = await new Promise<X509Certificate>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, servername: 'localhost' }, () => {
        const cert = socket.getPeerX509Certificate();
        socket.end();
        if (cert) resolve(cert);
        else reject(new Error('no certificate'));
      });
      socket.once('error', reject);
    });
    expect(served.verify(ca.publicKey)).toBe(true);
    expect(served.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('issues tokens whose iss and key set are https://', async () => {
    const discovery = (await (
      await fetch(`${fleet.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, string>;
    expect(discovery).toMatchObject({
      issuer: fleet.issuer,
      jwks_uri: `${fleet.issuer}/.well-known/jwks.json`,
      token_endpoint: fleet.tokenUrl,
    });
    expect(fleet.issuer).toMatch(/^https:\/\//);
    const { claims } = decodeJwt(await fetchToken(fleet.tokenUrl, READ_CLIENT, READ_SCOPE));
    expect(claims).toMatchObject({ iss: fleet.issuer, client_id: READ_CLIENT.id });
  });

  it('weather-api verifies against the https key set: 401, 200, 403 as usual', async () => {
    const none = await apiGet();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).not.toContain('error=');

    const read = await fetchToken(fleet.tokenUrl, READ_CLIENT, READ_SCOPE);
    const ok = await apiGet(read);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as unknown[]).length).toBeGreaterThanOrEqual(5);

    const denied = await fetch(`${fleet.url('weather-api')}/weatherforecast`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${read}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ date: '2030-06-01', temperatureC: 21 }),
    });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toContain(`scope="${WRITE_SCOPE}"`);
  });

  it("the caller's GET /forecast is 200 with a token from the https token endpoint", async () => {
    const env = fleet.env('caller');
    expect(env.OAUTH_TOKEN_URL).toBe(fleet.tokenUrl);
    expect(env.NODE_EXTRA_CA_CERTS).toBe(join(dir, 'ca.pem'));
    const res = await fetch(`${fleet.url('caller')}/forecast`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as unknown[]).length).toBeGreaterThanOrEqual(5);
    // The emulator answers only HTTPS: its count is the caller's token fetched over it.
    expect(await issuedTokens(fleet.url('emulator'), READ_CLIENT.id)).toBeGreaterThanOrEqual(1);
  });

  it('a caller that does not trust the CA fails closed: never ready, 503 naming the token endpoint', async () => {
    const counted = async () =>
      (await issuedTokens(fleet.url('emulator'), READ_CLIENT.id)) +
      (await issuedTokens(fleet.url('emulator'), WRITE_CLIENT.id));
    const before = await counted();
    const variant = await fleet.launchVariant('caller', {
      NODE_EXTRA_CA_CERTS: '',
      OAUTH_RETRY_MAX_ATTEMPTS: '1',
    });
    const { url } = variant;
    try {
      const ready = await fetch(`${url}/health/ready`);
      expect(ready.status).toBe(503);
      const forecast = await fetch(`${url}/forecast`);
      expect(forecast.status).toBe(503);
      expect(await forecast.json()).toMatchObject({
        error: 'service_unavailable',
        dependency: 'token-endpoint',
      });
      expect((await fetch(`${url}/health/ready`)).status).toBe(503);
      // It tried, the connection failed (the TLS handshake), and no token request ever
      // reached the emulator.
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(
        /^m2m_token_requests_total\{[^}]*client_id="weather-caller"[^}]*outcome="network_error"[^}]*\} [1-9]/m,
      );
      expect(metrics).not.toMatch(/^m2m_token_requests_total\{[^}]*outcome="success"/m);
      expect(await counted()).toBe(before);
      expect(variant.output).not.toContain(READ_CLIENT.secret);
    } finally {
      await variant.stop();
    }
  });
});
