// weather-api as a real process against a hostile issuer on loopback: key sets that stream
// without end or trickle, weak keys, signed tokens the verifier must not understand, and
// clients that send their request too slowly.
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import {
  type Behaviour,
  endlessJson,
  type HostilePeer,
  respond,
  startPeer,
  trickle,
} from './helpers/hostile-peers.js';
import { launchService, type ServiceProcess } from '../scripts/lib/fleet.mjs';
import { TEST_ENV } from './helpers/process-fleet.js';
import { expectSlowClientsClosed, TEST_SERVER_TIMEOUTS_ENV } from './helpers/slow-clients.js';

const POOL = 'hostile_pool';
const JWKS_TIMEOUT_MS = 1500;

interface Key {
  kid: string;
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
}

function rsaKey(kid: string, bits: number): Key {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return {
    kid,
    privateKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' },
  };
}

const strong = rsaKey('strong-1', 2048);
const weak = rsaKey('weak-1', 1024);

/** A compact RS256 JWS over exactly `payloadJson` (so `1e400` stays `1e400`). */
function signRaw(key: Key, payloadJson: string, header: Record<string, unknown> = {}): string {
  const head = Buffer.from(JSON.stringify({ alg: 'RS256', kid: key.kid, ...header })).toString(
    'base64url',
  );
  const body = Buffer.from(payloadJson).toString('base64url');
  const signature = sign('sha256', Buffer.from(`${head}.${body}`), key.privateKey);
  return `${head}.${body}.${signature.toString('base64url')}`;
}

describe('weather-api against a hostile issuer', () => {
  let issuer: HostilePeer;
  let current: Behaviour;
  let api: ServiceProcess;
  let issuerUrl: string;
  const keySet = (...keys: Key[]) =>
    respond(
      200,
      { 'Content-Type': 'application/json' },
      JSON.stringify({ keys: keys.map((k) => k.jwk) }),
    );

  const claims = (overrides: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return {
      sub: 'weather-caller',
      client_id: 'weather-caller',
      token_use: 'access',
      scope: 'weather-api/forecast.read',
      iss: issuerUrl,
      iat: now,
      exp: now + 600,
      jti: 'j',
      version: 2,
      ...overrides,
    };
  };
  const token = (key: Key, overrides: Record<string, unknown> = {}, header = {}) =>
    signRaw(key, JSON.stringify(claims(overrides)), header);
  const whoami = (bearer: string) =>
    fetch(`${api.url}/whoami`, {
      headers: { authorization: `Bearer ${bearer}` },
      signal: AbortSignal.timeout(20_000),
    });

  beforeAll(async () => {
    current = keySet(strong, weak);
    issuer = await startPeer((req, res) => current(req, res));
    issuerUrl = `${issuer.url}/${POOL}`;
    api = await launchService('weather-api', {
      until: 'live',
      env: {
        ...TEST_ENV,
        ...TEST_SERVER_TIMEOUTS_ENV,
        AUTH_ISSUER: issuerUrl,
        AUTH_JWKS_TIMEOUT_MS: String(JWKS_TIMEOUT_MS),
        AUTH_JWKS_PENALTY_SECONDS: '0',
        AUTH_JWKS_FAILURE_COOLDOWN_SECONDS: '0',
      },
    });
  });
  afterAll(async () => {
    await api?.stop();
    await issuer?.close();
  });
  afterEach(() => {
    current = keySet(strong, weak);
  });

  it('accepts a token of the strong key (the baseline)', async () => {
    const res = await whoami(token(strong));
    expect(res.status).toBe(200);
  });

  it('drops a 1024-bit key from the key set, warning once with its kid', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await whoami(token(weak));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
    const warnings = api.output
      .split('\n')
      .filter((line) => line.includes('weak-1') && /"level":(40|"warn")/.test(line));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/1024/);
  });

  it.each([
    ['crit with a custom extension', { crit: ['x-custom'], 'x-custom': 1 }],
    ['crit b64 with an unencoded payload', { crit: ['b64'], b64: false }],
  ])('refuses a token with %s', async (_what, header) => {
    const fetchesBefore = issuer.requests;
    const res = await whoami(token(strong, {}, header));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(issuer.requests).toBe(fetchesBefore);
  });

  it('refuses exp = 1e400 (Infinity), which would never expire', async () => {
    const payload = JSON.stringify(claims({ exp: 0 })).replace('"exp":0', '"exp":1e400');
    const res = await whoami(signRaw(strong, payload));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('refuses a token issued an hour in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    const res = await whoami(token(strong, { iat: now + 3600, exp: now + 7200 }));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('survives a key set that streams without end: 503 within the timeout, RSS bounded, connection closed', async () => {
    const rssBefore = (await api.rssMiB()) ?? 0;
    current = endlessJson();
    const since = issuer.connections.length;
    const started = Date.now();
    // An unknown kid forces a fetch.
    const res = await whoami(token(rsaKey('unknown-1', 2048)));
    const elapsed = Date.now() - started;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(elapsed).toBeLessThan(JWKS_TIMEOUT_MS + 3000);
    expect(await issuer.allClosed(3000, since)).toBe(true);
    const rssAfter = (await api.rssMiB()) ?? Infinity;
    console.log(
      `[bounds] endless key set: 503 after ${elapsed} ms (timeout ${JWKS_TIMEOUT_MS} ms), ` +
        `weather-api RSS ${rssBefore.toFixed(0)} -> ${rssAfter.toFixed(0)} MiB, peer sent ${issuer.bytesSent} bytes`,
    );
    expect(rssAfter - rssBefore).toBeLessThan(100);
    current = keySet(strong);
    expect((await fetch(`${api.url}/health/live`)).status).toBe(200);
    expect((await whoami(token(strong))).status).toBe(200);
  });

  it('aborts a trickling key set at the timeout and closes its connection', async () => {
    current = trickle(JSON.stringify({ keys: [strong.jwk] }), 100);
    const since = issuer.connections.length;
    const started = Date.now();
    const res = await whoami(token(rsaKey('unknown-2', 2048)));
    const elapsed = Date.now() - started;
    expect(res.status).toBe(503);
    console.log(
      `[bounds] trickling key set: 503 after ${elapsed} ms (timeout ${JWKS_TIMEOUT_MS} ms)`,
    );
    expect(elapsed).toBeGreaterThanOrEqual(JWKS_TIMEOUT_MS - 100);
    expect(elapsed).toBeLessThan(JWKS_TIMEOUT_MS + 3000);
    expect(await issuer.allClosed(3000, since)).toBe(true);
  });

  it('closes slow-header and slow-body clients within the bound', async () => {
    await expectSlowClientsClosed(api, '/weatherforecast');
  });
});
