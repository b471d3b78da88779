// Token providers on the Redis store, as replicas use them: each "replica" is its own store
// (its own connection) and provider, all against one real redis-server and one scripted
// token endpoint that counts what it is asked.
import { Registry } from 'prom-client';
import { RedisServer } from '../../../../test/helpers/redis-server.js';
import { ScriptedTokenEndpoint } from '../../../../test/helpers/scripted-token-endpoint.js';
import { TokenEndpointError } from '../client/client.errors.js';
import { TokenProvider, type TokenProviderOptions } from '../client/token-provider.js';
import {
  RedisTokenCacheStore,
  type RedisTokenCacheStoreOptions,
} from './redis-token-cache.store.js';

const SECRET = 'replica-test-secret-0123456789';

let redis: RedisServer;
let endpoint: ScriptedTokenEndpoint;
let logs: { level: string; message: string }[];
const providers: TokenProvider[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One replica: a store of its own (a connection) and a provider on it. */
function replica(
  options: Partial<TokenProviderOptions> = {},
  store: Partial<RedisTokenCacheStoreOptions> = {},
  registry: Registry | null = null,
) {
  const logger = {
    warn: (message: string) => void logs.push({ level: 'warn', message }),
    log: (message: string) => void logs.push({ level: 'log', message }),
    error: (message: string) => void logs.push({ level: 'error', message }),
  };
  const cache = new RedisTokenCacheStore(
    { url: redis.url, commandTimeoutMs: 300, probeIntervalMs: 200, refreshSpreadMs: 300, ...store },
    { logger },
  );
  const provider = new TokenProvider(
    {
      tokenUrl: endpoint.url,
      clientId: 'svc',
      clientSecret: SECRET,
      scopes: ['api/read'],
      cache,
      ...options,
    },
    { registry, logger },
  );
  providers.push(provider);
  return { provider, cache };
}

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(() => redis?.close());
beforeEach(async () => {
  logs = [];
  if (!redis.running) await redis.restart();
  endpoint = new ScriptedTokenEndpoint();
  await endpoint.start();
});
afterEach(async () => {
  for (const p of providers.splice(0)) p.close();
  await endpoint.stop();
  // Each test starts with an empty Redis.
  await redis.restart();
});

describe('TokenProvider on RedisTokenCacheStore', () => {
  it('five replicas, 50 concurrent calls each: one token request; hits then cost no Redis round trip', async () => {
    const registry = new Registry();
    const replicas = Array.from({ length: 5 }, () => replica({}, {}, registry));
    const tokens = await Promise.all(
      replicas.flatMap(({ provider }) => Array.from({ length: 50 }, () => provider.getToken())),
    );
    expect(endpoint.seen).toHaveLength(1);
    expect(new Set(tokens)).toEqual(new Set(['tok-1']));

    // Warm: a hung Redis does not slow a hit down, because a hit never asks it.
    redis.pause();
    try {
      const started = performance.now();
      for (const { provider } of replicas) expect(provider.peekToken()).toBe('tok-1');
      expect(performance.now() - started).toBeLessThan(50);
    } finally {
      redis.resume();
    }
    const text = await registry.metrics();
    expect(text).toMatch(/m2m_token_shared_lease_total\{client_id="svc",outcome="acquired"\} 1\n/);
    expect(text).toMatch(/m2m_token_shared_lease_total\{client_id="svc",outcome="waited"\} 4\n/);
  });

  it('a replica started later reads the fleet token: zero more requests', async () => {
    await replica().provider.getToken();
    const late = replica();
    expect(await late.provider.getToken()).toBe('tok-1');
    expect(await late.provider.readiness()).toEqual({ up: true, store: 'redis: shared' });
    expect(endpoint.seen).toHaveLength(1);
  });

  it('the refresh ahead of expiry happens once for the fleet', async () => {
    // 8 s tokens, refreshed from 25% (2 s) on, each replica within 300 ms of that.
    endpoint.respond = (res) => endpoint.ok(res, 8);
    const fleet = Array.from({ length: 5 }, () => replica({ refreshAhead: 0.25 }));
    await Promise.all(fleet.map(({ provider }) => provider.getToken()));
    expect(endpoint.seen).toHaveLength(1);

    await sleep(2_400);
    // Traffic on every replica past its refresh point: each may start a background refresh.
    for (let round = 0; round < 10; round += 1) {
      for (const { provider } of fleet) await provider.getToken();
      await sleep(50);
    }
    expect(endpoint.seen).toHaveLength(2);
    const served = await Promise.all(fleet.map(({ provider }) => provider.getToken()));
    expect(new Set(served)).toEqual(new Set(['tok-2']));
  });

  it('Redis down: every call served, one request per replica at most, one warning each; shared again once back', async () => {
    const first = replica();
    await first.provider.getToken();
    await redis.stop();

    // Replicas that have no token yet: each fetches its own, none fails.
    const isolated = Array.from({ length: 3 }, () => replica());
    for (const { provider } of isolated) {
      for (let i = 0; i < 10; i += 1) expect(await provider.getToken()).toMatch(/^tok-/);
    }
    expect(endpoint.seen.length).toBeLessThanOrEqual(1 + 3);
    // The replica that had the token keeps it without asking anyone.
    expect(first.provider.peekToken()).toBe('tok-1');
    const warnings = logs.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(3);
    expect(warnings.every((w) => /Shared token cache \(Redis\) unavailable/.test(w.message))).toBe(
      true,
    );
    expect(await isolated[0].provider.readiness()).toMatchObject({
      up: true,
      store: expect.stringMatching(
        /^redis: unavailable since .+; this replica uses its own cache$/,
      ),
    });

    await redis.restart();
    const before = endpoint.seen.length;
    const back = Array.from({ length: 4 }, () => replica());
    await Promise.all(back.map(({ provider }) => provider.getToken()));
    expect(endpoint.seen.length).toBe(before + 1);
  });

  it("a replica with a wrong secret gets the issuer's invalid_client, never another replica's token", async () => {
    endpoint.respond = (res, seen) => {
      const basic = Buffer.from(
        (seen.headers.authorization ?? '').replace(/^Basic /, ''),
        'base64',
      ).toString();
      if (basic === `svc:${SECRET}`) endpoint.ok(res);
      else endpoint.json(res, 400, { error: 'invalid_client' });
    };
    expect(await replica().provider.getToken()).toBe('tok-1');
    const wrong = replica({ clientSecret: 'not-the-secret' });
    const error: unknown = await wrong.provider.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect((error as TokenEndpointError).code).toBe('invalid_client');
    expect(wrong.provider.peekToken()).toBeUndefined();
  });

  it('a 401 forces one new token for the fleet; the fresh one rejected too starts a cooldown', async () => {
    const [a, b] = [replica(), replica()];
    const t1 = await a.provider.getToken();
    expect(await b.provider.getToken()).toBe(t1);
    // Both see the downstream reject t1: one new token between them.
    const [fa, fb] = await Promise.all([
      a.provider.getToken({ forceRefresh: true, rejectedToken: t1 }),
      b.provider.getToken({ forceRefresh: true, rejectedToken: t1 }),
    ]);
    expect(fa).toBe('tok-2');
    expect(fb).toBe('tok-2');
    expect(endpoint.seen).toHaveLength(2);
    // The fresh token is rejected too: no more requests (each replica warns once).
    for (let i = 0; i < 10; i += 1) {
      for (const r of [a, b]) {
        await expect(
          r.provider.getToken({ forceRefresh: true, rejectedToken: 'tok-2' }),
        ).rejects.toMatchObject({ code: 'token_rejected' });
      }
    }
    expect(endpoint.seen).toHaveLength(2);
    expect(logs.filter((l) => /rejected a freshly fetched token/.test(l.message))).toHaveLength(2);
  });
});
