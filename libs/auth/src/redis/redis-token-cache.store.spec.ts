// The Redis store against a real redis-server (Debian's, started on a free port with nothing
// on disk by the test harness): what lands in Redis, the lease across connections, outages
// as a replica sees them (stopped, hung, not Redis at all, wrong password), and token
// providers on it as replicas use them: each "replica" is its own store (its own
// connection) and provider, all asking one scripted token endpoint that counts requests.
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { createClient } from '@redis/client';
import { Registry } from 'prom-client';
import { eventually } from '../../../../test/helpers/eventually.js';
import { RedisServer } from '../../../../test/helpers/redis-server.js';
import { ScriptedTokenEndpoint } from '../../../../test/helpers/scripted-token-endpoint.js';
import { SharedCacheUnavailableError } from '../client/client.errors.js';
import { EntryCipher } from '../client/entry-cipher.js';
import {
  acceptOnly,
  describeTokenCacheStore,
} from '../client/token-cache.conformance.fixture-spec.js';
import { TokenProvider } from '../client/token-provider.js';
import type { TokenProviderOptions } from '../client/token-provider.options.js';
import {
  RedisTokenCacheStore,
  type RedisTokenCacheStoreOptions,
} from './redis-token-cache.store.js';

const SECRET = 'replica-test-secret-0123456789';
const BASE = { commandTimeoutMs: 300, probeIntervalMs: 200, refreshSpreadMs: 300 };

let redis: RedisServer;
let raw: ReturnType<typeof createClient>;
let endpoint: ScriptedTokenEndpoint;
let logs: { level: string; message: string }[];
const providers: TokenProvider[] = [];
const stores: RedisTokenCacheStore[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logger = {
  warn: (message: string) => void logs.push({ level: 'warn', message }),
  log: (message: string) => void logs.push({ level: 'log', message }),
  error: (message: string) => void logs.push({ level: 'error', message }),
};

/** One replica's store, on its own connection. */
function store(options: Partial<RedisTokenCacheStoreOptions> = {}) {
  const cache = new RedisTokenCacheStore({ url: redis.url, ...BASE, ...options });
  stores.push(cache);
  return cache;
}

/** One replica: a store of its own (a connection) and a provider on it. */
function replica(
  options: Partial<TokenProviderOptions> = {},
  cache: RedisTokenCacheStore = store(),
  registry: Registry | null = null,
) {
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

/** The entry a provider with these credentials uses. */
const cipherOf = (clientSecret = SECRET) =>
  new EntryCipher({ source: endpoint.url, clientId: 'svc', scopes: ['api/read'], clientSecret });

beforeAll(async () => {
  redis = await RedisServer.start();
  raw = createClient({ url: redis.url });
  raw.on('error', () => undefined);
  await raw.connect();
});
afterAll(async () => {
  raw?.destroy();
  await redis?.close();
});
beforeEach(async () => {
  logs = [];
  if (!redis.running) await redis.restart();
  redis.resume();
  // Each test starts with an empty Redis.
  await eventually(() => raw.flushAll());
  endpoint = new ScriptedTokenEndpoint();
  await endpoint.start();
});
afterEach(async () => {
  for (const p of providers.splice(0)) p.close();
  for (const s of stores.splice(0)) s.close();
  await endpoint.stop();
});

describeTokenCacheStore('RedisTokenCacheStore', {
  replica: () => store(),
  reset: () => undefined, // flushed before each test, above
  outage: { start: () => redis.stop(), end: () => redis.restart() },
});

describe('RedisTokenCacheStore against a real redis-server', () => {
  it('one replica stores, another reads it; Redis holds neither the secret nor the token', async () => {
    expect(await replica().provider.getToken()).toBe('tok-1');
    expect(await replica().provider.getToken()).toBe('tok-1');
    expect(endpoint.seen).toHaveLength(1);

    const keys = await raw.keys('*');
    expect(keys).toEqual([`m2m:{${cipherOf().id}}:token`]);
    expect(keys[0]).toMatch(/^m2m:\{[\w-]{43}\.[\w-]{22}\}:token$/);
    const value = (await raw.get(keys[0])) ?? '';
    expect(cipherOf().open(value)).toMatchObject({ accessToken: 'tok-1' });
    for (const text of [keys[0], value]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('svc');
      expect(text).not.toContain('tok-1');
    }
    // TTL: the token's validity (3600 s) less the expiry skew (5 s).
    const ttl = await raw.pTTL(keys[0]);
    expect(ttl).toBeGreaterThan(3_594_000);
    expect(ttl).toBeLessThanOrEqual(3_595_000);
  });

  it('a replica with a wrong or rotated secret has an entry of its own and cannot open the other', async () => {
    acceptOnly(endpoint, SECRET);
    await replica().provider.getToken();
    const right = `m2m:{${cipherOf().id}}:token`;
    const wrong = `m2m:{${cipherOf('rotated-secret').id}}:token`;
    expect(wrong).not.toBe(right);
    // Its value copied under the other's key (someone with write access) opens for nobody.
    await raw.set(wrong, (await raw.get(right))!);
    const rotated = replica({ clientSecret: 'rotated-secret' }).provider;
    await expect(rotated.getToken()).rejects.toMatchObject({ code: 'invalid_client' });
    expect(rotated.peekToken()).toBeUndefined();
    expect(endpoint.seen).toHaveLength(2);
  });

  it('corrupt values and keys of another type are misses, never errors', async () => {
    const cache = store();
    const key = cipherOf().id;
    await raw.set(`m2m:{${key}}:token`, 'garbage');
    expect(await cache.get(key)).toBe('garbage'); // the client's cipher refuses it
    const { provider } = replica({}, cache);
    expect(await provider.getToken()).toBe('tok-1');
    expect(cipherOf().open(await raw.get(`m2m:{${key}}:token`))).toMatchObject({
      accessToken: 'tok-1',
    });
    await raw.del(`m2m:{${key}}:token`);
    await raw.hSet(`m2m:{${key}}:token`, 'field', 'value');
    expect(await cache.get(key)).toBeUndefined();
    await cache.set(key, 'over-hash', 60_000);
    expect(await cache.get(key)).toBe('over-hash');
    expect(logs.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('the lease: taken by one owner, extended and released by it only, gone after its time', async () => {
    const [a, b] = [store().lease, store().lease];
    expect(await a.acquire('e', 'owner-a', 300)).toBe(0);
    const held = await b.acquire('e', 'owner-b', 300);
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(300);

    await b.release('e', 'owner-b');
    expect(await b.acquire('e', 'owner-b', 300)).toBeGreaterThan(0);
    expect(await a.acquire('e', 'owner-a', 600)).toBe(0); // extended
    await sleep(400);
    expect(await b.acquire('e', 'owner-b', 300)).toBeGreaterThan(0);
    await a.release('e', 'owner-a');
    expect(await b.acquire('e', 'owner-b', 200)).toBe(0);
    // Expiry: nobody extends it, it goes.
    await sleep(300);
    expect(await a.acquire('e', 'owner-a', 200)).toBe(0);
    expect(await raw.keys('*')).toEqual(['m2m:{e}:lease']);
  });

  it('keys under the prefix, so fleets can share one Redis', async () => {
    const cache = store({ keyPrefix: 'fleet-a:' });
    await cache.set('e', 'v', 60_000);
    await cache.lease.acquire('e', 'o', 1_000);
    expect((await raw.keys('*')).sort()).toEqual(['fleet-a:{e}:lease', 'fleet-a:{e}:token']);
  });

  describe('outages', () => {
    it('Redis stopped: commands fail fast with the reason, and work again once it is back', async () => {
      const cache = store();
      await cache.set('e', 'before', 60_000);
      await redis.stop();

      const started = Date.now();
      const failures = await Promise.allSettled(Array.from({ length: 50 }, () => cache.get('e')));
      expect(failures.every((f) => f.status === 'rejected')).toBe(true);
      expect(Date.now() - started).toBeLessThan(1_000);
      for (let i = 0; i < 20; i += 1) {
        const error: unknown = await cache.get('e').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SharedCacheUnavailableError);
        expect((error as SharedCacheUnavailableError).reason).toMatch(/^[A-Za-z_]+$/);
      }

      await redis.restart();
      // Empty (nothing on disk): a miss, answered by Redis again.
      expect(await eventually(() => cache.get('e'))).toBeUndefined();
      await cache.set('e', 'after', 60_000);
      expect(await store().get('e')).toBe('after');
    });

    it('Redis hung (SIGSTOP): each command gives up at its deadline; it serves again when resumed', async () => {
      const cache = store({ commandTimeoutMs: 200 });
      await cache.set('e', 't', 60_000);
      redis.pause();
      try {
        const started = Date.now();
        await expect(cache.get('e')).rejects.toMatchObject({ reason: 'TIMEOUT' });
        const took = Date.now() - started;
        expect(took).toBeGreaterThanOrEqual(150);
        expect(took).toBeLessThan(1_000);
        // While down, no command waits for it: they fail at once until the next probe.
        const quick = Date.now();
        await expect(cache.get('e')).rejects.toThrow(SharedCacheUnavailableError);
        expect(Date.now() - quick).toBeLessThan(50);
      } finally {
        redis.resume();
      }
      expect(await eventually(() => cache.get('e'))).toBe('t');
    });

    it('something that is not Redis at that address: fails fast, never crashes; calls are served', async () => {
      const server: Server = createServer((socket) => {
        socket.on('data', () => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
        socket.on('error', () => undefined);
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      try {
        const { port } = server.address() as AddressInfo;
        const cache = store({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 300 });
        for (let i = 0; i < 5; i += 1) {
          const started = Date.now();
          await expect(cache.lease.acquire('e', 'o', 1_000)).rejects.toThrow(
            SharedCacheUnavailableError,
          );
          expect(Date.now() - started).toBeLessThan(1_000);
        }
        const { provider } = replica({}, cache);
        for (let i = 0; i < 5; i += 1) expect(await provider.getToken()).toBe('tok-1');
        expect(endpoint.seen).toHaveLength(1);
        expect(logs.filter((l) => l.level === 'warn')).toHaveLength(1);
      } finally {
        server.close();
      }
    });

    it('a wrong password: unavailable, and the password is in no error or log line', async () => {
      const secured = await RedisServer.start({ password: 'right-redis-password' });
      try {
        const url = `redis://:wrong-redis-password@127.0.0.1:${secured.port}`;
        const cache = store({ url });
        const error: unknown = await cache.get('e').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SharedCacheUnavailableError);
        expect(JSON.stringify(error) + String(error)).not.toContain('wrong-redis-password');
        const { provider } = replica({}, cache);
        expect(await provider.getToken()).toBe('tok-1');
        expect(logs).toHaveLength(1);
        expect(logs[0].message).not.toContain('wrong-redis-password');
        expect(logs[0].message).not.toContain(url);

        const good = store({ url: secured.url });
        await good.set('e', 't', 60_000);
        expect(await store({ url: secured.url }).get('e')).toBe('t');
      } finally {
        await secured.close();
      }
    });
  });

  it('refuses a URL that is not redis:// or rediss://, and bad bounds, naming them', () => {
    expect(() => store({ url: 'http://127.0.0.1:6379' })).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => store({ url: 'not a url' })).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => store({ commandTimeoutMs: 0 })).toThrow(/commandTimeoutMs/);
    // Lease timings are checked where they are used: by the first client on the store.
    expect(() => replica({}, store({ leaseMs: 1 }))).toThrow(/"leaseMs"/);
  });
});

describe('TokenProvider on RedisTokenCacheStore', () => {
  it('five replicas, 50 concurrent calls each: one token request; hits then cost no Redis round trip', async () => {
    const registry = new Registry();
    const replicas = Array.from({ length: 5 }, () => replica({}, store(), registry));
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

  it('the connection opens with the first command and closes with the last provider', async () => {
    const cache = store();
    const clients = async () => Number((await raw.clientList()).length);
    const idle = await clients();
    const [a, b] = [replica({}, cache).provider, replica({ clientId: 'svc2' }, cache).provider];
    expect(await clients()).toBe(idle);
    await a.getToken();
    expect(await clients()).toBe(idle + 1);
    a.close();
    expect(await b.getToken()).toBe('tok-2');
    b.close();
    await eventually(async () => expect(await clients()).toBe(idle), 2_000);
  });
});
