import { Registry } from 'prom-client';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { type ClientSecretSource, FileClientSecret } from './client-secret.js';
import {
  ClientSecretUnavailableError,
  M2MClientConfigError,
  TokenEndpointError,
  TokenEndpointUnavailableError,
} from './client.errors.js';
import { m2mErrorAnswer } from './m2m-error.filter.js';
import { MemoryTokenCacheStore, type TokenCacheStore } from './token-cache.store.js';
import { TokenProvider } from './token-provider.js';
import type { TokenProviderOptions } from './token-provider.options.js';
import { ScriptedTokenEndpoint } from '../../../../test/helpers/scripted-token-endpoint.js';

const SECRET = 'unit-test-secret-value';

function fakeClock(start = 1_700_000_000_000) {
  return {
    t: start,
    now() {
      return this.t;
    },
  };
}

let endpoint: ScriptedTokenEndpoint;
let clock: ReturnType<typeof fakeClock>;
let sleeps: number[];
let logs: { level: string; message: string }[];
let registry: Registry;

beforeEach(async () => {
  endpoint = new ScriptedTokenEndpoint();
  await endpoint.start();
  clock = fakeClock();
  sleeps = [];
  logs = [];
  registry = new Registry();
});
afterEach(() => endpoint.stop());

function provider(options: Partial<TokenProviderOptions> = {}, random = () => 0.5) {
  return new TokenProvider(
    {
      tokenUrl: endpoint.url,
      clientId: 'svc',
      clientSecret: SECRET,
      scopes: ['api/b', 'api/a'],
      clock,
      ...options,
    },
    {
      registry,
      random,
      sleep: (ms) => {
        sleeps.push(ms);
        clock.t += ms;
        return Promise.resolve();
      },
      logger: {
        warn: (message: string) => void logs.push({ level: 'warn', message }),
        log: (message: string) => void logs.push({ level: 'log', message }),
        error: (message: string) => void logs.push({ level: 'error', message }),
      },
    },
  );
}

const metric = async (name: string) => (await registry.getSingleMetricAsString(name)) ?? '';

describe('TokenProvider', () => {
  it('asks once with client_secret_basic and the sorted scopes, then answers from the cache', async () => {
    const p = provider();
    expect(await p.getToken()).toBe('tok-1');
    expect(await p.getToken()).toBe('tok-1');
    expect(endpoint.seen).toHaveLength(1);
    const [req] = endpoint.seen;
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.headers.authorization).toBe(
      `Basic ${Buffer.from(`svc:${SECRET}`).toString('base64')}`,
    );
    expect(req.body.get('grant_type')).toBe('client_credentials');
    expect(req.body.get('scope')).toBe('api/a api/b');
    expect(req.body.has('client_secret')).toBe(false);
    const cache = await metric('m2m_token_cache_total');
    expect(cache).toContain('m2m_token_cache_total{client_id="svc",result="hit"} 1');
    expect(cache).toContain('m2m_token_cache_total{client_id="svc",result="miss"} 1');
    expect(await metric('m2m_token_requests_total')).toContain(
      'm2m_token_requests_total{client_id="svc",outcome="success"} 1',
    );
  });

  it('sends client_secret_post credentials in the body and no Authorization header', async () => {
    await provider({ authMethod: 'client_secret_post', scopes: [] }).getToken();
    const [req] = endpoint.seen;
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body.get('client_id')).toBe('svc');
    expect(req.body.get('client_secret')).toBe(SECRET);
    expect(req.body.has('scope')).toBe(false);
  });

  it('shares one request among 200 concurrent cold callers', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    endpoint.respond = async (res) => {
      await gate;
      endpoint.ok(res);
    };
    const p = provider();
    const all = Promise.all(Array.from({ length: 200 }, () => p.getToken()));
    await vi.waitFor(() => expect(endpoint.seen).toHaveLength(1));
    release();
    expect(new Set(await all)).toEqual(new Set(['tok-1']));
    expect(endpoint.seen).toHaveLength(1);
  });

  it('refreshes in the background at 75% of the lifetime while the current token keeps serving', async () => {
    const p = provider();
    await p.getToken();
    clock.t += 2_699_000; // 74.97% of 3600 s
    expect(await p.getToken()).toBe('tok-1');
    expect(endpoint.seen).toHaveLength(1);

    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    endpoint.respond = async (res) => {
      await gate;
      endpoint.ok(res);
    };
    clock.t += 2_000; // past 75%
    // The refresh is in flight and held; callers are not kept waiting.
    expect(await p.getToken()).toBe('tok-1');
    await vi.waitFor(() => expect(endpoint.seen).toHaveLength(2));
    expect(await p.getToken()).toBe('tok-1');
    release();
    await vi.waitFor(async () => expect(await p.getToken()).toBe('tok-2'));
    expect(endpoint.seen).toHaveLength(2);
  });

  it('makes the caller wait for a new token once the cached one has expired', async () => {
    const p = provider({ refreshAhead: 1 });
    await p.getToken();
    clock.t += 3_600_000;
    expect(await p.getToken()).toBe('tok-2');
    expect(endpoint.seen).toHaveLength(2);
  });

  it('treats a token as expired slightly before expires_in (skew)', async () => {
    const p = provider({ refreshAhead: 1, expirySkewMs: 5_000 });
    await p.getToken();
    clock.t += 3_594_000;
    expect(await p.getToken()).toBe('tok-1');
    clock.t += 1_000;
    expect(await p.getToken()).toBe('tok-2');
  });

  it('never retries an OAuth error and keeps the secret out of the error', async () => {
    endpoint.respond = (res) =>
      endpoint.json(res, 400, { error: 'invalid_client', error_description: 'bad secret' });
    const p = provider();
    const error = await p.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(error).toMatchObject({ code: 'invalid_client', status: 400, clientId: 'svc' });
    expect(JSON.stringify(error) + String(error)).not.toContain(SECRET);
    expect(endpoint.seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(await metric('m2m_token_requests_total')).toContain('outcome="oauth_error"} 1');
  });

  it.each([
    ['a 2xx without access_token', 200, { token_type: 'Bearer' }, 'invalid_token_response'],
    ['a 403 without an OAuth error', 403, { message: 'Forbidden' }, 'unexpected_status'],
  ])('answers %s with a TokenEndpointError, once', async (_, status, body, code) => {
    endpoint.respond = (res) => endpoint.json(res, status, body);
    await expect(provider().getToken()).rejects.toMatchObject({ code });
    expect(endpoint.seen).toHaveLength(1);
  });

  it('retries 5xx with full-jitter backoff inside the window bounds, then gives up', async () => {
    endpoint.respond = (res) => endpoint.json(res, 503, { message: 'down' });
    const p = provider(
      { retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 500, maxTotalMs: 60_000 } },
      () => 0.999,
    );
    const error = await p.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenEndpointUnavailableError);
    expect(error).toMatchObject({ attempts: 5, code: 'token_endpoint_unavailable' });
    expect(endpoint.seen).toHaveLength(5);
    // windows: 100, 200, 400, 500 (capped)
    expect(sleeps).toEqual([99, 199, 399, 499]);
  });

  it('draws each wait uniformly from [0, window): zero when the random draw is zero', async () => {
    endpoint.respond = (res) => endpoint.json(res, 500, {});
    await provider({ retry: { maxAttempts: 3 } }, () => 0)
      .getToken()
      .catch(() => undefined);
    expect(sleeps).toEqual([0, 0]);
  });

  it('stops when the total time budget would be exceeded', async () => {
    endpoint.respond = (res) => endpoint.json(res, 502, {});
    await expect(
      provider(
        { retry: { maxAttempts: 100, baseDelayMs: 1_000, maxDelayMs: 1_000, maxTotalMs: 3_000 } },
        () => 0.9,
      ).getToken(),
    ).rejects.toBeInstanceOf(TokenEndpointUnavailableError);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(3_000);
    expect(endpoint.seen.length).toBeLessThanOrEqual(4);
  });

  it('honours Retry-After on 429', async () => {
    let calls = 0;
    endpoint.respond = (res) =>
      ++calls === 1
        ? endpoint.json(res, 429, { message: 'slow down' }, { 'Retry-After': '2' })
        : endpoint.ok(res);
    expect(await provider().getToken()).toBe('tok-1');
    expect(sleeps).toEqual([2_000]);
    expect(await metric('m2m_token_requests_total')).toContain('outcome="rate_limited"} 1');
  });

  it('retries when the endpoint does not answer in time', async () => {
    endpoint.respond = () => undefined; // never answers
    const p = provider({ tokenTimeoutMs: 30, retry: { maxAttempts: 2 } });
    await expect(p.getToken()).rejects.toBeInstanceOf(TokenEndpointUnavailableError);
    expect(endpoint.seen).toHaveLength(2);
    expect(await metric('m2m_token_requests_total')).toContain('outcome="timeout"} 2');
  });

  it('serves a valid token while the issuer is down, warns once, and recovers', async () => {
    const p = provider({ retry: { maxAttempts: 2 } });
    await p.getToken();
    endpoint.respond = (res) => endpoint.json(res, 503, {});
    clock.t += 3_000_000; // past refresh-ahead, before expiry
    for (let i = 0; i < 50; i++) {
      expect(await p.getToken()).toBe('tok-1');
      await new Promise((r) => setImmediate(r));
    }
    await vi.waitFor(() => expect(logs.filter((l) => l.level === 'warn')).toHaveLength(1));
    // the first token, one background refresh (2 attempts), then a cool-down, not one per call
    expect(endpoint.seen).toHaveLength(3);

    clock.t += 700_000; // past expiry: now callers must wait, and get a typed error
    await expect(p.getToken()).rejects.toBeInstanceOf(TokenEndpointUnavailableError);
    expect(logs.filter((l) => l.level === 'warn')).toHaveLength(1);

    endpoint.respond = (res) => endpoint.ok(res);
    expect(await p.getToken()).toBe('tok-2');
    expect(logs.at(-1)?.level).toBe('log');
    expect(JSON.stringify(logs)).not.toContain(SECRET);
  });

  it('keeps the secret out of the cause when the endpoint is unreachable', async () => {
    const url = endpoint.url;
    await endpoint.stop();
    const error = await provider({ tokenUrl: url, retry: { maxAttempts: 2 } })
      .getToken()
      .catch((e: unknown) => e);
    endpoint = new ScriptedTokenEndpoint();
    await endpoint.start(); // for afterEach
    expect(error).toBeInstanceOf(TokenEndpointUnavailableError);
    const cause = (error as Error).cause as Error & { code?: string };
    expect(cause.code).toBe('ECONNREFUSED');
    expect(Object.keys(cause)).toEqual(['code']);
    expect(String(cause.message)).not.toContain(SECRET);
  });

  it('turns concurrent forced refreshes for the same rejected token into one request', async () => {
    const p = provider();
    const old = await p.getToken();
    const fresh = await Promise.all(
      Array.from({ length: 200 }, () => p.getToken({ forceRefresh: true, rejectedToken: old })),
    );
    expect(new Set(fresh)).toEqual(new Set(['tok-2']));
    expect(endpoint.seen).toHaveLength(2);
    // a later forced refresh for that old token reuses the new one
    expect(await p.getToken({ forceRefresh: true, rejectedToken: old })).toBe('tok-2');
    expect(endpoint.seen).toHaveLength(2);
  });

  it('no token storm: a forced token rejected too holds forced refreshes off for the cooldown', async () => {
    const p = provider({ rejectionCooldownMs: 30_000 });
    const first = await p.getToken();
    expect(await p.getToken({ forceRefresh: true, rejectedToken: first })).toBe('tok-2');
    for (let i = 0; i < 10; i += 1) {
      await expect(
        p.getToken({ forceRefresh: true, rejectedToken: 'tok-2' }),
      ).rejects.toMatchObject({
        name: 'TokenRejectedError',
        code: 'token_rejected',
        retryAfterSeconds: 30,
      });
      clock.t += 2_000;
    }
    expect(endpoint.seen).toHaveLength(2);
    expect(logs.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(logs[0].message).toMatch(/"svc".*no forced token refresh for 30 s/);
    expect(await metric('m2m_token_refresh_cooldowns_total')).toMatch(/client_id="svc"} 1/);
    // Calls that do not force a refresh keep the token meanwhile.
    expect(await p.getToken()).toBe('tok-2');

    // The cooldown over: one more forced refresh, then the next cooldown if it is rejected too.
    clock.t += 10_000;
    expect(await p.getToken({ forceRefresh: true, rejectedToken: 'tok-2' })).toBe('tok-3');
    await expect(p.getToken({ forceRefresh: true, rejectedToken: 'tok-3' })).rejects.toMatchObject({
      code: 'token_rejected',
    });
    expect(endpoint.seen).toHaveLength(3);
    expect(logs.filter((l) => l.level === 'warn')).toHaveLength(2);
  });

  it('a lifetime no longer than the expiry skew is an invalid response, remembered like an OAuth error', async () => {
    endpoint.respond = (res) => endpoint.ok(res, 0.001);
    const p = provider({ expirySkewMs: 5_000 });
    for (let i = 0; i < 10; i += 1) {
      await expect(p.getToken()).rejects.toMatchObject({
        name: 'TokenEndpointError',
        code: 'invalid_token_response',
      });
    }
    expect(endpoint.seen).toHaveLength(1);
    expect(await metric('m2m_token_requests_total')).toMatch(/outcome="invalid_response"} 1/);
  });

  it('shares a cache store between providers of the same client and scopes', async () => {
    const cache = new MemoryTokenCacheStore();
    await provider({ cache }).getToken();
    expect(await provider({ cache, scopes: ['api/a', 'api/b'] }).getToken()).toBe('tok-1');
    expect(await provider({ cache, scopes: ['api/a'] }).getToken()).toBe('tok-2');
    // Another store is another cache.
    expect(await provider({ cache: new MemoryTokenCacheStore() }).getToken()).toBe('tok-3');
  });

  it('peekToken answers synchronously from the in-process cache and never asks itself', async () => {
    const p = provider();
    expect(p.peekToken()).toBeUndefined();
    expect(endpoint.seen).toHaveLength(0);
    await p.getToken();
    expect(p.peekToken()).toBe('tok-1');
    expect(await metric('m2m_token_cache_total')).toContain(
      'm2m_token_cache_total{client_id="svc",result="hit"} 1',
    );
    clock.t += 2_701_000; // past 75%: the peek starts the background refresh
    expect(p.peekToken()).toBe('tok-1');
    await vi.waitFor(() => expect(p.peekToken()).toBe('tok-2'));
    clock.t += 3_600_000; // expired
    expect(p.peekToken()).toBeUndefined();
    expect(endpoint.seen).toHaveLength(2);
  });

  it('takes the token another replica stored in a shared store, with no request of its own', async () => {
    // Two stores (two replicas) over one shared map: a store is get and set.
    const shared = new Map<string, string>();
    const replicaStore = (): TokenCacheStore => ({
      name: 'shared-map',
      get: (key) => Promise.resolve(shared.get(key)),
      set: (key, value) => Promise.resolve(void shared.set(key, value)),
    });
    const first = provider({ cache: replicaStore() });
    const second = provider({ cache: replicaStore() });
    expect(await first.getToken()).toBe('tok-1');
    expect(second.peekToken()).toBeUndefined(); // nothing in its own process yet
    expect(await second.getToken()).toBe('tok-1');
    expect(second.peekToken()).toBe('tok-1'); // now a local copy: no shared read per call
    expect(endpoint.seen).toHaveLength(1);
    // The store holds neither the secret nor the token.
    expect([...shared].join()).not.toMatch(/tok-1|unit-test-secret|svc/);
  });

  it('keeps serving its own token when the shared store fails, and warns once', async () => {
    const broken: TokenCacheStore = {
      name: 'Broken',
      get: () => Promise.reject(new Error('store down')),
      set: () => Promise.reject(new Error('store down')),
    };
    const p = provider({ cache: broken });
    expect(await p.getToken()).toBe('tok-1');
    for (let i = 0; i < 5; i++) expect(await p.getToken()).toBe('tok-1');
    expect(p.peekToken()).toBe('tok-1');
    expect(await p.hasValidToken()).toBe(true);
    expect(endpoint.seen).toHaveLength(1);
    const warnings = logs.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^Shared token cache \(Broken\) unavailable \(Error\)/);
    expect(warnings[0]).not.toContain(SECRET);
    expect(await p.readiness()).toMatchObject({
      up: true,
      store: expect.stringMatching(
        /^broken: unavailable since .+ \(Error\); this replica uses its own cache$/,
      ),
    });
    p.close();
  });

  it("never fails another provider's call when one closes during their shared fetch", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    endpoint.respond = async (res) => {
      await gate;
      endpoint.ok(res);
    };
    const a = provider();
    const b = provider();
    const first = a.getToken(); // a's fetch, which b joins
    const second = b.getToken();
    await vi.waitFor(() => expect(endpoint.seen).toHaveLength(1));
    a.close();
    release();
    expect(await second).toBe('tok-1');
    expect(await first).toBe('tok-1');
    expect(endpoint.seen).toHaveLength(1);
    expect(b.peekToken()).toBe('tok-1');
    b.close();
  });

  it('stops its request when the last provider of a key closes', async () => {
    endpoint.respond = () => undefined; // never answers
    const p = provider({ tokenTimeoutMs: 60_000 });
    const pending = p.getToken().catch((e: unknown) => e);
    await vi.waitFor(() => expect(endpoint.seen).toHaveLength(1));
    p.close();
    expect(await pending).toBeInstanceOf(TokenEndpointUnavailableError);
    expect(endpoint.seen).toHaveLength(1);
  });

  it('fails fast on bad options, naming the option', () => {
    expect(() => provider({ tokenUrl: 'not a url' })).toThrow(M2MClientConfigError);
    expect(() => provider({ clientSecret: '' })).toThrow(
      expect.objectContaining({ code: 'invalid_options', option: 'clientSecret' }),
    );
    expect(() => provider({ errorCacheMs: -1 })).toThrow(/"errorCacheMs"/);
    expect(() => provider({ clientId: 'a:b' })).toThrow(/"clientId"/);
    expect(() => provider({ tokenUrl: 'not a url' })).toThrow(/"tokenUrl"/);
    expect(() => provider({ clientSecret: '' })).toThrow(/"clientSecret"/);
    expect(() => provider({ refreshAhead: 1.5 })).toThrow(/"refreshAhead"/);
  });

  it('shares one request and one token between providers with the same URL, client, secret and scopes', async () => {
    const a = provider();
    const b = provider({ scopes: ['api/a', 'api/b'] });
    const tokens = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).getToken()),
    );
    expect(new Set(tokens)).toEqual(new Set(['tok-1']));
    expect(endpoint.seen).toHaveLength(1);
    // Another secret is another credential: its own request, never the other's token.
    const other = provider({ clientSecret: 'another-secret-value' });
    expect(await other.getToken()).toBe('tok-2');
    expect(endpoint.seen).toHaveLength(2);
    for (const p of [a, b, other]) p.close();
    // The last provider of a key closed: its token is gone with it.
    const fresh = provider();
    expect(await fresh.getToken()).toBe('tok-3');
    fresh.close();
  });

  it('remembers an OAuth error: 10 calls, forced refreshes included, cost one request', async () => {
    endpoint.respond = (res) => endpoint.json(res, 400, { error: 'invalid_client' });
    const p = provider();
    for (let i = 0; i < 10; i++) {
      await expect(p.getToken({ forceRefresh: i % 2 === 1 })).rejects.toMatchObject({
        code: 'invalid_client',
      });
    }
    expect(endpoint.seen).toHaveLength(1);
    endpoint.respond = (res) => endpoint.ok(res);
    clock.t += 29_999;
    await expect(p.getToken()).rejects.toBeInstanceOf(TokenEndpointError);
    clock.t += 1;
    expect(await p.getToken()).toBe('tok-1');
    expect(endpoint.seen).toHaveLength(2);
    expect(logs.filter((l) => l.level === 'error')).toHaveLength(1);
    p.close();
  });

  it('asks again on every call when errorCacheMs is 0, and never caches unavailability', async () => {
    endpoint.respond = (res) => endpoint.json(res, 400, { error: 'invalid_scope' });
    const p = provider({ errorCacheMs: 0 });
    await expect(p.getToken()).rejects.toBeInstanceOf(TokenEndpointError);
    await expect(p.getToken()).rejects.toBeInstanceOf(TokenEndpointError);
    expect(endpoint.seen).toHaveLength(2);
    p.close();
    endpoint.respond = (res) => endpoint.json(res, 503, {});
    const q = provider({ clientId: 'svc2', retry: { maxAttempts: 1 } });
    await expect(q.getToken()).rejects.toBeInstanceOf(TokenEndpointUnavailableError);
    await expect(q.getToken()).rejects.toBeInstanceOf(TokenEndpointUnavailableError);
    expect(endpoint.seen).toHaveLength(4);
    q.close();
  });

  it("keeps the issuer's error_description to printable ASCII and 200 characters", async () => {
    const description = `bad\r\n[error] forged line\u001b[31m\u0000${'x'.repeat(400)}`;
    endpoint.respond = (res) =>
      endpoint.json(res, 400, { error: 'invalid_client', error_description: description });
    const error = (await provider()
      .getToken()
      .catch((e: unknown) => e)) as TokenEndpointError;
    expect(error.description).toMatch(/^[\x20-\x7e]{1,200}$/);
    expect(error.description).toContain('bad [error] forged line');
    expect(error.message).toMatch(/^[\x20-\x7e]+$/);
    expect(logs.every((l) => /^[\x20-\x7e]+$/.test(l.message))).toBe(true);
    expect(error.cause).toEqual({
      status: 400,
      error: 'invalid_client',
      error_description: error.description,
    });
  });

  it('keeps the secret out of every error, however deeply inspected', async () => {
    endpoint.respond = (res) => endpoint.json(res, 401, { error: 'invalid_client' });
    const refused = await provider()
      .getToken()
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TokenEndpointError);
    await endpoint.stop();
    const down = await provider({ clientId: 'svc3', retry: { maxAttempts: 2 } })
      .getToken()
      .catch((e: unknown) => e);
    expect(down).toBeInstanceOf(TokenEndpointUnavailableError);
    await endpoint.start(); // afterEach stops it
    for (const error of [refused, down]) {
      const text = inspect(error, { depth: 10, showHidden: true }) + JSON.stringify(error);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(Buffer.from(`svc:${SECRET}`).toString('base64'));
    }
  });

  it('sends Basic credentials as Cognito expects: id and secret joined, not form-urlencoded', async () => {
    const p = provider({ clientId: 'svc+one', clientSecret: 'p+q%2Fr s:t' });
    await p.getToken();
    expect(endpoint.seen[0].headers.authorization).toBe(
      `Basic ${Buffer.from('svc+one:p+q%2Fr s:t').toString('base64')}`,
    );
    p.close();
  });
});

describe('TokenProvider: client metadata', () => {
  it('sends aws_client_metadata as URL-encoded JSON, keys in one order', async () => {
    const p = provider({ clientMetadata: { tenant: 'acme', 'plan tier': 'gold & more' } });
    await p.getToken();
    const sent = endpoint.seen[0].body.get('aws_client_metadata');
    expect(JSON.parse(sent!)).toEqual({ 'plan tier': 'gold & more', tenant: 'acme' });
    expect(sent).toBe('{"plan tier":"gold & more","tenant":"acme"}');
    p.close();
  });

  it('two metadata values never share a token; the same value in another order does', async () => {
    const a = provider({ clientMetadata: { tenant: 'a', region: 'eu' } });
    const b = provider({ clientMetadata: { tenant: 'b', region: 'eu' } });
    const a2 = provider({ clientMetadata: { region: 'eu', tenant: 'a' } });
    const none = provider();
    expect([
      await a.getToken(),
      await b.getToken(),
      await a2.getToken(),
      await none.getToken(),
    ]).toEqual(['tok-1', 'tok-2', 'tok-1', 'tok-3']);
    expect(endpoint.seen).toHaveLength(3);
    expect(endpoint.seen[2].body.has('aws_client_metadata')).toBe(false);
    for (const p of [a, b, a2, none]) p.close();
  });

  it.each([
    ['an array', ['a']],
    ['a value that is not a string', { tenant: 1 }],
    ['an empty key', { '': 'x' }],
    ['more than 4 KiB', { big: 'x'.repeat(4096) }],
  ])('refuses %s at construction, naming clientMetadata', (_, clientMetadata) => {
    expect(() =>
      provider({ clientMetadata: clientMetadata as unknown as Record<string, string> }),
    ).toThrow(expect.objectContaining({ option: 'clientMetadata' }));
  });
});

describe('TokenProvider: a client secret that changes while it runs', () => {
  let dir: string;
  let file: string;
  /** The secrets the issuer accepts now (client svc), by Basic credentials. */
  let accepted: Set<string>;
  /** The secret each request was sent with. */
  const sentWith = () =>
    endpoint.seen.map((seen) =>
      Buffer.from((seen.headers.authorization ?? '').slice('Basic '.length), 'base64')
        .toString()
        .replace(/^svc:/, ''),
    );

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rotation-'));
    file = join(dir, 'client-secret');
    await writeFile(file, 'secret-one\n');
    accepted = new Set(['secret-one']);
    endpoint.respond = (res, seen) => {
      const basic = Buffer.from(
        (seen.headers.authorization ?? '').slice('Basic '.length),
        'base64',
      ).toString();
      if (accepted.has(basic.replace(/^svc:/, ''))) endpoint.ok(res);
      else endpoint.json(res, 400, { error: 'invalid_client' });
    };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('a rotated file: the token in hand keeps serving, the next is asked for with the new secret, once', async () => {
    const p = provider({ clientSecret: new FileClientSecret(file, { checkIntervalMs: 0 }) });
    expect(await p.getToken()).toBe('tok-1');
    accepted.add('secret-two');
    await writeFile(file, 'secret-two\n');
    const served = new Set<string>();
    await vi.waitFor(async () => {
      served.add(await p.getToken());
      expect(served.has('tok-2')).toBe(true);
    });
    // Never a call without a token: tok-1 until tok-2 was there.
    expect([...served].every((t) => t === 'tok-1' || t === 'tok-2')).toBe(true);
    accepted.delete('secret-one');
    for (let i = 0; i < 10; i++) expect(await p.getToken()).toBe('tok-2');
    expect(sentWith()).toEqual(['secret-one', 'secret-two']);
    expect(await metric('m2m_client_secret_changes_total')).toContain(
      'm2m_client_secret_changes_total{client_id="svc",source="file"} 1',
    );
    expect(logs.some((l) => /client secret of "svc" changed \(file\)/.test(l.message))).toBe(true);
    expect(JSON.stringify(logs)).not.toMatch(/secret-one|secret-two/);
    p.close();
  });

  it('a secret that changes while a request is in flight: the waiting call still gets its token', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const respond = endpoint.respond;
    endpoint.respond = async (res, seen) => {
      await gate;
      await respond(res, seen);
    };
    accepted.add('secret-two');
    const p = provider({ clientSecret: new FileClientSecret(file, { checkIntervalMs: 0 }) });
    const waiting = p.getToken();
    await vi.waitFor(() => expect(endpoint.seen).toHaveLength(1));
    await writeFile(file, 'secret-two');
    await vi.waitFor(() => {
      p.peekToken(); // a call that looks at the source and moves to the new secret's entry
      expect(logs.some((l) => /changed \(file\)/.test(l.message))).toBe(true);
    });
    release();
    expect(await waiting).toBe('tok-1');
    p.close();
  });

  it('invalid_client: reads the source again once and retries with the changed secret, the call succeeds', async () => {
    // The file changed after the last look (a long interval): the issuer says so first.
    const p = provider({
      clientSecret: new FileClientSecret(file, { checkIntervalMs: 3_600_000 }),
    });
    await writeFile(file, 'secret-two');
    accepted = new Set(['secret-two']);
    expect(await p.getToken()).toBe('tok-1');
    expect(sentWith()).toEqual(['secret-one', 'secret-two']);
    expect(await p.getToken()).toBe('tok-1');
    expect(endpoint.seen).toHaveLength(2);
    p.close();
  });

  it('invalid_client and the same secret in the source: fails after one request, never sends it again', async () => {
    accepted = new Set();
    const p = provider({ clientSecret: new FileClientSecret(file, { checkIntervalMs: 0 }) });
    for (let i = 0; i < 10; i++) {
      await expect(p.getToken({ forceRefresh: i % 2 === 1 })).rejects.toMatchObject({
        code: 'invalid_client',
      });
    }
    expect(sentWith()).toEqual(['secret-one']);
    // Fixed in the source: the next call asks with it at once, the remembered error is the old secret's.
    accepted.add('secret-two');
    await writeFile(file, 'secret-two');
    await vi.waitFor(async () => expect(await p.getToken()).toBe('tok-1'));
    expect(sentWith()).toEqual(['secret-one', 'secret-two']);
    p.close();
  });

  it('a remote source: read before the first token; unreadable, calls fail with ClientSecretUnavailableError and readiness names it', async () => {
    let value: string | undefined;
    let reads = 0;
    const remote: ClientSecretSource = {
      kind: 'Secrets Manager',
      current: () => value,
      reload: () => {
        reads += 1;
        return value === undefined
          ? Promise.reject(
              new ClientSecretUnavailableError('Secrets Manager', 'AccessDeniedException'),
            )
          : Promise.resolve(value);
      },
    };
    const p = provider({ clientSecret: remote });
    const error = await p.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientSecretUnavailableError);
    expect(m2mErrorAnswer(error)).toMatchObject({
      status: 503,
      body: { dependency: 'client-secret', dependency_error: 'unavailable' },
    });
    expect(await p.readiness()).toEqual({
      up: false,
      reason: 'the client secret (Secrets Manager) could not be read: AccessDeniedException',
    });
    expect(endpoint.seen).toHaveLength(0);
    const remoteSecret = 'secret-one';
    const read = reads;
    remote.reload = () => {
      reads += 1;
      value = remoteSecret;
      return Promise.resolve(remoteSecret);
    };
    expect(await p.getToken()).toBe('tok-1');
    expect(reads).toBe(read + 1);
    expect(sentWith()).toEqual(['secret-one']);
    p.close();
  });
});
