import {
  CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  UpdateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { base64url, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { RedisRevocationStore, revoke } from '@nest-m2m-cognito/auth/revocation';
import { RedisServer } from '../../../test/helpers/redis-server.js';
import { startEmulator, type StartedEmulator } from '../../cognito-emulator/src/bootstrap.js';
import { startWeatherApi, type WeatherApiHandle } from '../src/bootstrap.js';

const DEV_SECRETS: Record<string, string> = {
  'weather-caller': 'weather-caller-dev-secret',
  'weather-admin': 'weather-admin-dev-secret',
};

let emulator: StartedEmulator;
let api: WeatherApiHandle;
let keysDir: string;
/** The emulator's own signing key (private), read from its keys file: tokens only the issuer could sign. */
let issuerKey: { kid: string; privateKey: CryptoKey };
let callerToken: string;
let adminToken: string;

async function clientToken(clientId: string, tokenUrl = emulator.tokenUrl): Promise<string> {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${DEV_SECRETS[clientId]}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function userTokens(): Promise<{ AccessToken: string; IdToken: string }> {
  const res = await fetch(`${emulator.url}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth',
    },
    body: JSON.stringify({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: 'weather-web',
      AuthParameters: { USERNAME: 'alice', PASSWORD: 'Alice-dev-password-1' },
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { AuthenticationResult: { AccessToken: string; IdToken: string } })
    .AuthenticationResult;
}

async function jwksFetchesAtEmulator(): Promise<number> {
  const text = await (await fetch(`${emulator.url}/metrics`)).text();
  const m = /^cognito_emulator_jwks_requests_total(?:\{[^}]*\})? (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

function call(base: string, path: string, auth?: string, init: RequestInit = {}) {
  return fetch(`${base}${path}`, {
    ...init,
    headers: { ...(auth === undefined ? {} : { authorization: auth }), ...init.headers },
  });
}

async function publishedJwks(): Promise<JWK[]> {
  const res = await fetch(`${emulator.issuer}/.well-known/jwks.json`);
  return ((await res.json()) as { keys: JWK[] }).keys;
}

/** An access token signed with the emulator's real key, with `claims` overriding Cognito's. */
function issuerSigned(claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    sub: 'weather-caller',
    client_id: 'weather-caller',
    token_use: 'access',
    scope: 'weather-api/forecast.read',
    auth_time: now,
    iss: emulator.issuer,
    iat: now,
    exp: now + 3600,
    jti: crypto.randomUUID(),
    version: 2,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: issuerKey.kid })
    .sign(issuerKey.privateKey);
}

/** A loopback server counting requests per path, serving `body` as JSON (an attacker's key set). */
async function countingServer(body: unknown) {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    total: () => [...hits.values()].reduce((a, b) => a + b, 0),
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

beforeAll(async () => {
  keysDir = await mkdtemp(join(tmpdir(), 'weather-api-e2e-'));
  const keysFile = join(keysDir, 'keys.json');
  emulator = await startEmulator({
    PORT: '0',
    COGNITO_EMULATOR_ADMIN: 'true',
    COGNITO_EMULATOR_KEYS_FILE: keysFile,
  });
  const stored = JSON.parse(await readFile(keysFile, 'utf8')) as { keys: { jwk: JWK }[] };
  const jwk = stored.keys[0].jwk;
  issuerKey = {
    kid: jwk.kid as string,
    privateKey: (await importJWK(jwk, 'RS256')) as CryptoKey,
  };
  api = await startWeatherApi({ PORT: '0', AUTH_ISSUER: emulator.issuer, LOG_LEVEL: 'error' });
  [callerToken, adminToken] = await Promise.all([
    clientToken('weather-caller'),
    clientToken('weather-admin'),
  ]);
});

afterAll(async () => {
  await api?.close();
  await emulator?.close();
  if (keysDir) await rm(keysDir, { recursive: true, force: true });
});

describe('weather-api with emulator tokens', () => {
  it('serves five days of forecast to a reader, and /health without a token', async () => {
    const res = await call(api.url, '/weatherforecast', `Bearer ${callerToken}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>[];
    expect(body.length).toBeGreaterThanOrEqual(5);
    for (const day of body.slice(0, 5)) {
      expect(Object.keys(day).sort()).toEqual(['date', 'summary', 'temperatureC', 'temperatureF']);
    }
    expect((await call(api.url, '/health')).status).toBe(200);
  });

  it('refuses a reader on POST with 403 insufficient_scope', async () => {
    const res = await call(api.url, '/weatherforecast', `Bearer ${callerToken}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ date: '2030-01-01', temperatureC: 10 }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain(
      'error="insufficient_scope", error_description="the token lacks a required scope", scope="weather-api/forecast.write"',
    );
  });

  it('stores a writer observation, validates the body and answers bad JSON as JSON 4xx', async () => {
    const post = (body: string) =>
      call(api.url, '/weatherforecast', `Bearer ${adminToken}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const created = await post(
      JSON.stringify({ date: '2030-01-02', temperatureC: 20, summary: 'Warm' }),
    );
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({
      date: '2030-01-02',
      temperatureC: 20,
      temperatureF: 68,
      summary: 'Warm',
    });
    const list = (await (
      await call(api.url, '/weatherforecast', `Bearer ${adminToken}`)
    ).json()) as {
      date: string;
    }[];
    expect(list.some((d) => d.date === '2030-01-02')).toBe(true);

    const bad = await post(JSON.stringify({ date: 'tomorrow', temperatureC: 1000, extra: 1 }));
    expect(bad.status).toBe(400);
    const badBody = (await bad.json()) as { error: string; fields: { field: string }[] };
    expect(badBody.error).toBe('invalid_request');
    expect(badBody.fields.map((f) => f.field).sort()).toEqual(['date', 'extra', 'temperatureC']);

    const malformed = await post('{"date": ');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toBe('invalid_request');

    const huge = await post(
      JSON.stringify({ date: '2030-01-01', temperatureC: 1, summary: 'x'.repeat(32_000) }),
    );
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: string }).error).toBe('payload_too_large');
  });

  it('accepts a user access token on /whoami only, and refuses the ID token', async () => {
    const { AccessToken, IdToken } = await userTokens();
    const who = await call(api.url, '/whoami', `Bearer ${AccessToken}`);
    expect(who.status).toBe(200);
    expect(await who.json()).toMatchObject({
      clientId: 'weather-web',
      username: 'alice',
      tokenUse: 'access',
    });
    expect((await call(api.url, '/weatherforecast', `Bearer ${AccessToken}`)).status).toBe(403);
    const id = await call(api.url, '/whoami', `Bearer ${IdToken}`);
    expect(id.status).toBe(401);
    expect(id.headers.get('www-authenticate')).toContain(
      'error_description="the token is not an access token"',
    );
  });

  it('names the tenant of a token carrying the tenant_id claim, and refuses one without it (403)', async () => {
    const tenant = await call(
      api.url,
      '/tenant',
      `Bearer ${await issuerSigned({ tenant_id: 'tenant-acme' })}`,
    );
    expect(tenant.status).toBe(200);
    expect(await tenant.json()).toEqual({ tenant: 'tenant-acme' });
    const none = await call(api.url, '/tenant', `Bearer ${callerToken}`);
    expect(none.status).toBe(403);
    expect(none.headers.get('www-authenticate')).toBe(
      'Bearer realm="weather-api", error="insufficient_scope", error_description="the token lacks a required claim (tenant_id)"',
    );
    expect(await none.json()).toEqual({
      error: 'insufficient_scope',
      error_description: 'the token lacks a required claim (tenant_id)',
      claim: 'tenant_id',
    });
    const numeric = await call(
      api.url,
      '/tenant',
      `Bearer ${await issuerSigned({ tenant_id: 7 })}`,
    );
    expect(numeric.status).toBe(403);
  });

  it('answers each bad credential with its status and challenge, fetching no key set for them', async () => {
    await call(api.url, '/whoami', `Bearer ${callerToken}`);
    const [jwk] = await publishedJwks();
    const fetchesBefore = await jwksFetchesAtEmulator();
    const [h, p, s] = callerToken.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const cases: [string | undefined, number, string][] = [
      [undefined, 401, 'Bearer realm="weather-api"'],
      ['Bearer', 400, 'error="invalid_request"'],
      ['Basic d2VhdGhlcjpzZWNyZXQ=', 401, 'Bearer realm="weather-api"'],
      ['Bearer abc.def', 401, 'the token is malformed'],
      [
        `Bearer ${base64url.encode(JSON.stringify({ alg: 'none', kid: jwk.kid }))}.${p}.`,
        401,
        'algorithm',
      ],
      [
        `Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: jwk.kid }).sign(new TextEncoder().encode(pem.toString()))}`,
        401,
        'algorithm',
      ],
      [
        `Bearer ${h}.${base64url.encode(JSON.stringify({ ...claims, scope: 'weather-api/forecast.write' }))}.${s}`,
        401,
        'signature is invalid',
      ],
    ];
    for (const [auth, status, fragment] of cases) {
      const res = await call(api.url, '/weatherforecast', auth);
      expect([auth?.slice(0, 20), res.status]).toEqual([auth?.slice(0, 20), status]);
      expect(res.headers.get('www-authenticate')).toContain(fragment);
      const text = await res.text();
      if (auth && auth.length > 12) expect(text).not.toContain(auth.slice(7));
    }
    expect(await jwksFetchesAtEmulator()).toBe(fetchesBefore);
  });

  it('ignores jku, x5u and jwk header parameters: never fetched, never trusted', async () => {
    const stranger = await generateKeyPair('RS256', { extractable: true });
    const strangerJwk = { ...(await exportJWK(stranger.publicKey)), kid: issuerKey.kid };
    const attacker = await countingServer({ keys: [strangerJwk] });
    try {
      const fetchesBefore = await jwksFetchesAtEmulator();
      const now = Math.floor(Date.now() / 1000);
      const forged = await new SignJWT({
        iss: emulator.issuer,
        token_use: 'access',
        client_id: 'weather-caller',
        sub: 'weather-caller',
        scope: 'weather-api/forecast.read',
        exp: now + 600,
      })
        .setProtectedHeader({
          alg: 'RS256',
          kid: issuerKey.kid,
          jku: attacker.url('/jwks.json'),
          x5u: attacker.url('/cert.pem'),
          jwk: strangerJwk,
        })
        .sign(stranger.privateKey);
      const res = await call(api.url, '/weatherforecast', `Bearer ${forged}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer realm="weather-api", error="invalid_token", error_description="the token signature is invalid"',
      );
      expect(attacker.total()).toBe(0);
      expect(await jwksFetchesAtEmulator()).toBe(fetchesBefore);
      // The attacker's server does answer, so a fetch of it would have been counted.
      expect((await fetch(attacker.url('/jwks.json'))).status).toBe(200);
      expect(attacker.total()).toBe(1);
    } finally {
      await attacker.close();
    }
  });

  it.each([
    ['expired', { exp: -60 }, 'the token has expired'],
    ['nbf in the future', { nbf: 600 }, 'the token is not yet valid'],
    [
      'from another issuer',
      { iss: 'https://evil.example/us-east-1_Weather01' },
      'the token issuer is not trusted',
    ],
  ] as [string, Record<string, unknown>, string][])(
    'refuses a token signed with the issuer key but %s, with 401 and its exact challenge',
    async (_case, override, description) => {
      const now = Math.floor(Date.now() / 1000);
      const claims = Object.fromEntries(
        Object.entries(override).map(([k, v]) => [k, typeof v === 'number' ? now + v : v]),
      );
      // The same key and claims otherwise pass: only the overridden claim can be the reason.
      expect(
        (await call(api.url, '/weatherforecast', `Bearer ${await issuerSigned({})}`)).status,
      ).toBe(200);
      const res = await call(api.url, '/weatherforecast', `Bearer ${await issuerSigned(claims)}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer realm="weather-api", error="invalid_token", error_description="${description}"`,
      );
      expect(await res.json()).toEqual({ error: 'invalid_token', error_description: description });
    },
  );

  it('answers a 64 KiB Authorization header with a 4xx, without hanging', async () => {
    const { port } = new URL(api.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/weatherforecast',
          headers: { authorization: `Bearer ${'a'.repeat(65_536)}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      // A client-side deadline: a server that hangs on the header fails the test instead of stalling it.
      req.setTimeout(5_000, () =>
        req.destroy(new Error('no answer within 5 s to a 64 KiB header')),
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
  });

  it('costs the emulator at most one key-set fetch per penalty window for 1,000 random kids', async () => {
    const stranger = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const tokens = await Promise.all(
      Array.from({ length: 1000 }, () =>
        new SignJWT({
          iss: emulator.issuer,
          token_use: 'access',
          client_id: 'x',
          sub: 'x',
          exp: now + 600,
        })
          .setProtectedHeader({ alg: 'RS256', kid: crypto.randomUUID() })
          .sign(stranger.privateKey),
      ),
    );
    const before = await jwksFetchesAtEmulator();
    const started = Date.now();
    const answers = new Set<string>();
    for (let i = 0; i < tokens.length; i += 50) {
      const batch = await Promise.all(
        tokens.slice(i, i + 50).map((t) => call(api.url, '/whoami', `Bearer ${t}`)),
      );
      for (const r of batch) {
        answers.add(`${r.status} ${r.headers.get('www-authenticate')}`);
        await r.arrayBuffer();
      }
    }
    const windows = Math.floor((Date.now() - started) / 10_000) + 1;
    expect([...answers]).toEqual([
      '401 Bearer realm="weather-api", error="invalid_token", error_description="the token signing key is unknown"',
    ]);
    expect((await jwksFetchesAtEmulator()) - before).toBeLessThanOrEqual(windows);
  });

  it('never answers 5xx nor accepts random or mutated Authorization headers (10,000 runs)', async () => {
    const valid = callerToken;
    const same = (t: string) => {
      const a = t.split('.');
      const b = valid.split('.');
      return (
        a.length === 3 &&
        a[0] === b[0] &&
        a[1] === b[1] &&
        Buffer.from(a[2], 'base64url').equals(Buffer.from(b[2], 'base64url'))
      );
    };
    const headerChars = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 200,
    });
    const mutated = fc
      .tuple(
        fc.nat(valid.length - 1),
        fc.constantFrom('flip', 'cut', 'insert', 'swap'),
        fc.string({ minLength: 1, maxLength: 4 }),
      )
      .map(([i, op, s]) => {
        if (op === 'cut') return valid.slice(0, i);
        if (op === 'insert') return valid.slice(0, i) + s + valid.slice(i);
        if (op === 'swap') return valid.split('.').reverse().join('.');
        const c = valid[i] === 'A' ? 'B' : 'A';
        return valid.slice(0, i) + c + valid.slice(i + 1);
      })
      // Spaces inserted before the token are still the valid token: RFC 6750's "Bearer" 1*SP.
      .filter((t) => !same(t.replace(/^ +/, '')))
      .map((t) => `Bearer ${t}`);
    const header = fc.oneof(
      headerChars,
      headerChars.map((s) => `Bearer ${s}`),
      mutated,
      fc
        .tuple(fc.constantFrom('Bearer', 'bearer', 'Basic', 'JWT', 'Bearer,'), headerChars)
        .map(([a, b]) => `${a} ${b}`),
    );
    // 200 runs of 50 concurrent requests: 10,000 headers, and fast-check still shrinks a failure.
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(header, { minLength: 50, maxLength: 50 }), async (auths) => {
        const statuses = await Promise.all(
          auths.map(async (auth) => {
            const res = await call(
              api.url,
              '/weatherforecast',
              auth.trim() === '' ? undefined : auth,
            );
            await res.arrayBuffer();
            return res.status;
          }),
        );
        sent += auths.length;
        return statuses.every((status) => status >= 400 && status < 500);
      }),
      { numRuns: 200 },
    );
    expect(sent).toBeGreaterThanOrEqual(10_000);
  });
});

describe('weather-api against a changing issuer', () => {
  it('refuses clients outside AUTH_CLIENT_IDS', async () => {
    const strict = await startWeatherApi({
      PORT: '0',
      AUTH_ISSUER: emulator.issuer,
      AUTH_CLIENT_IDS: 'weather-admin',
      LOG_LEVEL: 'error',
    });
    const res = await call(strict.url, '/weatherforecast', `Bearer ${callerToken}`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('the token client is not allowed');
    expect((await call(strict.url, '/weatherforecast', `Bearer ${adminToken}`)).status).toBe(200);
    await strict.close();
  });

  it('accepts tokens of a rotated key at once with the default penalty window, and old tokens while their key is published', async () => {
    const rotating = await startWeatherApi({
      PORT: '0',
      AUTH_ISSUER: emulator.issuer,
      LOG_LEVEL: 'error',
    });
    const old = await clientToken('weather-caller');
    expect((await call(rotating.url, '/weatherforecast', `Bearer ${old}`)).status).toBe(200);
    const rotated = await fetch(`${emulator.url}/_emulator/rotate-keys`, { method: 'POST' });
    expect(rotated.status).toBe(200);
    const fresh = await clientToken('weather-caller');
    expect(fresh.split('.')[0]).not.toBe(old.split('.')[0]);
    expect((await call(rotating.url, '/weatherforecast', `Bearer ${fresh}`)).status).toBe(200);
    expect((await call(rotating.url, '/weatherforecast', `Bearer ${old}`)).status).toBe(200);
    await rotating.close();
  });

  it('answers 503 with Retry-After while the key set is down and recovers by itself', async () => {
    let down = true;
    const jwksUrl = `${emulator.issuer}/.well-known/jwks.json`;
    const proxy: Server = createServer((req, res) => {
      if (down) {
        req.socket.destroy();
        return;
      }
      void fetch(jwksUrl).then(async (r) => {
        res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text());
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as AddressInfo;
    const guarded = await startWeatherApi({
      PORT: '0',
      AUTH_ISSUER: emulator.issuer,
      AUTH_JWKS_URI: `http://127.0.0.1:${port}/jwks.json`,
      AUTH_JWKS_FAILURE_COOLDOWN_SECONDS: '0.2',
      LOG_LEVEL: 'fatal',
    });
    const token = await clientToken('weather-caller');
    const outage = await call(guarded.url, '/weatherforecast', `Bearer ${token}`);
    expect(outage.status).toBe(503);
    expect(outage.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(((await outage.json()) as { error: string }).error).toBe('temporarily_unavailable');
    down = false;
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await call(guarded.url, '/weatherforecast', `Bearer ${token}`)).status;
    }
    expect(status).toBe(200);
    await guarded.close();
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
  });

  it('fails fast naming the bad variable', async () => {
    await expect(startWeatherApi({ PORT: 'x' })).rejects.toThrow(/PORT/);
    await expect(startWeatherApi({ COGNITO_REGION: 'eu-west-1' })).rejects.toThrow(
      /COGNITO_USER_POOL_ID/,
    );
  });
});

describe("weather-api on today's Cognito issuers", () => {
  it('configured by COGNITO_REGION + COGNITO_USER_POOL_ID, accepts the pool under either issuer form and no other pool, region or host', async () => {
    const poolId = new URL(emulator.issuer).pathname.slice(1);
    const region = poolId.split('_')[0];
    // AWS's key-set hosts are not reachable from a test: the pool's keys come from the emulator.
    const pool = await startWeatherApi({
      PORT: '0',
      COGNITO_REGION: region,
      COGNITO_USER_POOL_ID: poolId,
      AUTH_JWKS_URI: `${emulator.issuer}/.well-known/jwks.json`,
      LOG_LEVEL: 'error',
    });
    const forecast = async (iss: string) =>
      call(pool.url, '/weatherforecast', `Bearer ${await issuerSigned({ iss })}`);
    for (const iss of [
      `https://cognito-idp.${region}.amazonaws.com/${poolId}`,
      `https://issuer-cognito-idp.${region}.amazonaws.com/${poolId}`,
    ]) {
      expect((await forecast(iss)).status).toBe(200);
    }
    for (const iss of [
      `https://issuer-cognito-idp.${region}.amazonaws.com/${region}_Another1`,
      `https://cognito-idp.eu-west-1.amazonaws.com/${poolId}`,
      `https://cognito-idp.${region}.amazonaws.com.example.org/${poolId}`,
      emulator.issuer,
    ]) {
      const res = await forecast(iss);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('the token issuer is not trusted');
    }
    const ready = (await (await fetch(`${pool.url}/health/ready`)).json()) as {
      info: { jwks: { keySets: Record<string, string> } };
    };
    expect(ready.info.jwks.keySets).toEqual({ [`${emulator.issuer}/.well-known/jwks.json`]: 'up' });
    await pool.close();
  });

  it("accepts the emulator's own tokens under each issuer form, before and after UpdateUserPool switches it", async () => {
    const region = 'us-east-1';
    // The emulator imitating Cognito's hosts: its pool's type picks the issuer its tokens name.
    const pool = await startEmulator({
      PORT: '0',
      LOG_LEVEL: 'error',
      COGNITO_EMULATOR_ADMIN: 'true',
      COGNITO_EMULATOR_ISSUER_BASE: `https://cognito-idp.${region}.amazonaws.com`,
    });
    const poolId = new URL(pool.issuer).pathname.slice(1);
    const [original, updated] = [
      `https://cognito-idp.${region}.amazonaws.com/${poolId}`,
      `https://issuer-cognito-idp.${region}.amazonaws.com/${poolId}`,
    ];
    // Asked at its own address: the AWS host names resolve to AWS, never reached from a test.
    const issued = () => clientToken('weather-caller', `${pool.url}/oauth2/token`);
    const issuerOf = (token: string) =>
      (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { iss: string }).iss;
    const before = await issued();
    expect(issuerOf(before)).toBe(original);
    const cognito = new CognitoIdentityProviderClient({
      endpoint: pool.url,
      region,
      // Dummy credentials: the emulator accepts SigV4 signatures unverified.
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'dev-only-not-a-secret' },
      maxAttempts: 1,
    });
    const { UserPool } = await cognito.send(new DescribeUserPoolCommand({ UserPoolId: poolId }));
    // UpdateUserPool resets what it leaves out: everything else as it was.
    await cognito.send(
      new UpdateUserPoolCommand({
        UserPoolId: poolId,
        IssuerConfiguration: { Type: 'UPDATED' },
        DeletionProtection: UserPool?.DeletionProtection,
        AdminCreateUserConfig: UserPool?.AdminCreateUserConfig,
        LambdaConfig: UserPool?.LambdaConfig,
      }),
    );
    cognito.destroy();
    const after = await issued();
    expect(issuerOf(after)).toBe(updated);

    // One key-set URL for both forms (AWS's key-set hosts are not reachable from a test).
    const api = await startWeatherApi({
      PORT: '0',
      COGNITO_REGION: region,
      COGNITO_USER_POOL_ID: poolId,
      AUTH_JWKS_URI: `${pool.url}/${poolId}/.well-known/jwks.json`,
      LOG_LEVEL: 'error',
    });
    for (const token of [before, after]) {
      const res = await call(api.url, '/whoami', `Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        clientId: 'weather-caller',
        claims: { iss: issuerOf(token) },
      });
    }
    // The first emulator's token (its own host, its own keys): refused for its issuer, before
    // its unknown key could cost a fetch.
    const other = await call(api.url, '/whoami', `Bearer ${callerToken}`);
    expect(other.status).toBe(401);
    expect(other.headers.get('www-authenticate')).toContain('the token issuer is not trusted');
    await api.close();
    await pool.close();
  });

  it('with two issuers in AUTH_ISSUER, takes tokens of both, each checked against its own key set', async () => {
    const second = await startEmulator({ PORT: '0', LOG_LEVEL: 'error' });
    const both = await startWeatherApi({
      PORT: '0',
      AUTH_ISSUER: `${emulator.issuer},${second.issuer}`,
      LOG_LEVEL: 'error',
    });
    const fromSecond = await clientToken('weather-caller', second.tokenUrl);
    expect((await call(both.url, '/weatherforecast', `Bearer ${callerToken}`)).status).toBe(200);
    expect((await call(both.url, '/weatherforecast', `Bearer ${fromSecond}`)).status).toBe(200);
    // The first issuer's key under the second's name: checked against the second's key set.
    const claimed = await issuerSigned({ iss: second.issuer });
    const res = await call(both.url, '/weatherforecast', `Bearer ${claimed}`);
    expect(res.status).toBe(401);
    const ready = (await (await fetch(`${both.url}/health/ready`)).json()) as {
      info: { jwks: { keySets: Record<string, string> } };
    };
    expect(ready.info.jwks.keySets).toEqual({
      [`${emulator.issuer}/.well-known/jwks.json`]: 'up',
      [`${second.issuer}/.well-known/jwks.json`]: 'up',
    });
    await both.close();
    await second.close();
  });
});

describe('weather-api with a revocation list in Redis', () => {
  it('refuses a token once revoked (by revoke(), the exported function), cached or not', async () => {
    const redis = await RedisServer.start();
    const listed = await startWeatherApi({
      PORT: '0',
      AUTH_ISSUER: emulator.issuer,
      AUTH_REVOCATION_REDIS_URL: redis.url,
      LOG_LEVEL: 'error',
    });
    const store = new RedisRevocationStore({ url: redis.url });
    try {
      const jti = crypto.randomUUID();
      const token = await issuerSigned({ jti });
      expect((await call(listed.url, '/weatherforecast', `Bearer ${token}`)).status).toBe(200);
      await revoke(store, { jti });
      let res = await call(listed.url, '/weatherforecast', `Bearer ${token}`);
      for (let i = 0; i < 40 && res.status === 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        res = await call(listed.url, '/weatherforecast', `Bearer ${token}`);
      }
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('the token has been revoked');
      expect((await call(listed.url, '/weatherforecast', `Bearer ${callerToken}`)).status).toBe(
        200,
      );
      const ready = (await (await fetch(`${listed.url}/health/ready`)).json()) as {
        info: { revocation: Record<string, unknown> };
      };
      expect(ready.info.revocation).toMatchObject({ status: 'up', state: 'live', entries: 1 });
    } finally {
      store.close();
      await listed.close();
      await redis.close();
    }
  });

  it('fails fast on a bad AUTH_REVOCATION_REDIS_URL, naming it and not its value', async () => {
    const failure = await startWeatherApi({
      PORT: '0',
      AUTH_ISSUER: emulator.issuer,
      AUTH_REVOCATION_REDIS_URL: 'https://user:hunter2@cache:6379',
    }).then(
      (started) => started.close(),
      (error: unknown) => error as Error,
    );
    expect(failure).toMatchObject({ variable: 'AUTH_REVOCATION_REDIS_URL' });
    expect((failure as Error).message).not.toContain('hunter2');
  });
});
