// The shared token cache against a real redis-server (Debian's, started on a free port with
// nothing on disk by the test harness): what lands in Redis, the lease across connections,
// and outages as a replica sees them (stopped, hung, not Redis at all, wrong password).
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { createClient } from '@redis/client';
import { RedisServer } from '../../../../test/helpers/redis-server.js';
import type { CachedToken } from '../client/token-cache.store.js';
import type { CacheIdentity } from './entry-cipher.js';
import type { Runtime } from '../client/token-endpoint.js';
import { leasedFetch } from './lease.js';
import { RedisTokenCache, type RedisTokenCacheOptions } from './redis-token-cache.js';

const identity: CacheIdentity = {
  tokenUrl: 'http://127.0.0.1:4000/oauth2/token',
  clientId: 'weather-caller',
  scopes: ['weather-api/forecast.read'],
  clientSecret: 'weather-caller-test-secret-0123456789',
};
const LEASE = { leaseMs: 1_000, pollMs: 10 };
const realRuntime: Runtime = {
  now: () => Date.now(),
  random: Math.random,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};
const never = new AbortController().signal;

function tokenFor(name: string, lifetimeMs = 60_000): CachedToken {
  const now = Date.now();
  return { accessToken: name, expiresAt: now + lifetimeMs, refreshAt: now + lifetimeMs * 0.75 };
}

let redis: RedisServer;
let raw: ReturnType<typeof createClient>;
const opened: RedisTokenCache[] = [];
let logs: { level: string; message: string }[];

/** One replica's store, on its own connection. */
function replica(options: Partial<RedisTokenCacheOptions> = {}) {
  const cache = new RedisTokenCache(
    { url: redis.url, commandTimeoutMs: 300, probeIntervalMs: 200, ...options },
    {
      logger: {
        warn: (message: string) => void logs.push({ level: 'warn', message }),
        log: (message: string) => void logs.push({ level: 'log', message }),
      },
    },
  );
  opened.push(cache);
  return cache;
}

/** Calls `fn` until it resolves (the store is back) or `ms` pass. */
async function eventually<T>(fn: () => Promise<T>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

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
  await eventually(() => raw.flushAll());
});
afterEach(() => {
  for (const cache of opened.splice(0)) cache.close();
});

describe('RedisTokenCache against a real redis-server', () => {
  it('one replica stores, another opens it; Redis holds neither the secret nor the token', async () => {
    const a = replica().entry(identity);
    const b = replica().entry({ ...identity, scopes: [...identity.scopes] });
    const token = tokenFor('eyJ.access.token-one');
    await a.storeAndRelease(token, 60_000, 'owner');
    expect((await b.read()).token).toEqual(token);

    const keys = await raw.keys('*');
    expect(keys).toHaveLength(1);
    const [key] = keys;
    expect(key).toMatch(/^m2m:\{[\w-]{43}\.[\w-]{22}\}:token$/);
    const value = await raw.get(key);
    for (const text of [key, value ?? '']) {
      expect(text).not.toContain(identity.clientSecret);
      expect(text).not.toContain(identity.clientId);
      expect(text).not.toContain(token.accessToken);
    }
    // TTL: what the caller asked for (the token's remaining validity less the skew).
    const ttl = await raw.pTTL(key);
    expect(ttl).toBeGreaterThan(59_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('a replica with a wrong or rotated secret has an entry and a lease of its own, and cannot open the other', async () => {
    const right = replica().entry(identity);
    const wrong = replica().entry({ ...identity, clientSecret: 'rotated-secret' });
    await right.storeAndRelease(tokenFor('right-token'), 60_000, 'o');
    expect((await wrong.read()).token).toBeUndefined();
    expect(await right.readOrLease(undefined, 'r', 1_000)).toMatchObject({ kind: 'entry' });
    expect(await wrong.readOrLease(undefined, 'w', 1_000)).toEqual({ kind: 'leased' });

    // Its value copied under the other's key (someone with write access) opens for nobody.
    const [rightKey] = await raw.keys('*:token');
    const [wrongLease] = await raw.keys('*:lease');
    const wrongKey = wrongLease.replace(/:lease$/, ':token');
    await raw.set(wrongKey, (await raw.get(rightKey))!);
    expect((await wrong.read()).token).toBeUndefined();
  });

  it('corrupt values and keys of another type are misses, never errors', async () => {
    const entry = replica().entry(identity);
    await entry.storeAndRelease(tokenFor('t'), 60_000, 'o');
    const [key] = await raw.keys('*:token');
    for (const corrupt of ['garbage', 'v1.a.b.c']) {
      await raw.set(key, corrupt);
      expect((await entry.read()).token).toBeUndefined();
      const first = await entry.readOrLease(undefined, 'o', 1_000);
      expect(first).toEqual({ kind: 'entry', raw: corrupt, token: undefined });
      // As the lease does with it: "known" = that value, so the next look takes the lease.
      expect(await entry.readOrLease(corrupt, 'o', 1_000)).toEqual({ kind: 'leased' });
      await raw.del(key.replace(/:token$/, ':lease'));
    }
    await raw.set(key, '');
    expect((await entry.read()).token).toBeUndefined();
    expect(await entry.readOrLease(undefined, 'o', 1_000)).toEqual({ kind: 'leased' });
    await raw.del([key, key.replace(/:token$/, ':lease')]);
    await raw.hSet(key, 'field', 'value');
    expect((await entry.read()).token).toBeUndefined();
    expect(await entry.readOrLease(undefined, 'o', 1_000)).toEqual({ kind: 'leased' });
    await entry.storeAndRelease(tokenFor('over-hash'), 60_000, 'o');
    expect((await entry.read()).token).toMatchObject({ accessToken: 'over-hash' });
  });

  it('the lease: SET NX PX, released and renewed by its owner only, gone after its time', async () => {
    const a = replica().entry(identity);
    const b = replica().entry(identity);
    expect(await a.readOrLease(undefined, 'owner-a', 300)).toEqual({ kind: 'leased' });
    const held = await b.readOrLease(undefined, 'owner-b', 300);
    expect(held.kind).toBe('held');
    expect(held.kind === 'held' && held.remainingMs).toBeGreaterThan(0);

    await b.release('owner-b');
    expect(await b.renew('owner-b', 300)).toBe(false);
    expect((await b.readOrLease(undefined, 'owner-b', 300)).kind).toBe('held');
    expect(await a.renew('owner-a', 600)).toBe(true);
    await new Promise((r) => setTimeout(r, 400));
    expect((await b.readOrLease(undefined, 'owner-b', 300)).kind).toBe('held');
    await a.release('owner-a');
    expect(await b.readOrLease(undefined, 'owner-b', 200)).toEqual({ kind: 'leased' });
    // Lease expiry: nobody renews, it goes.
    await new Promise((r) => setTimeout(r, 300));
    expect(await a.readOrLease(undefined, 'owner-a', 200)).toEqual({ kind: 'leased' });
    // Storing releases the owner's lease, not another's.
    await b.storeAndRelease(tokenFor('t'), 60_000, 'owner-b');
    expect(await raw.keys('*:lease')).toHaveLength(1);
    await a.storeAndRelease(tokenFor('t'), 60_000, 'owner-a');
    expect(await raw.keys('*:lease')).toHaveLength(0);
  });

  it('five replicas, each on its own connection, missing at once: one token request', async () => {
    let requests = 0;
    const fetchToken = async () => {
      requests += 1;
      await new Promise((r) => setTimeout(r, 100));
      return tokenFor(`fleet-token-${requests}`);
    };
    const entries = Array.from({ length: 5 }, () => replica().entry(identity));
    const results = await Promise.all(
      entries.flatMap((entry) =>
        Array.from({ length: 10 }, () =>
          leasedFetch(entry, fetchToken, { waitMs: 5_000, signal: never }, LEASE, realRuntime),
        ),
      ),
    );
    expect(requests).toBe(1);
    expect(new Set(results.map((r) => r?.token.accessToken))).toEqual(new Set(['fleet-token-1']));
    expect(results.filter((r) => r?.source === 'leased')).toHaveLength(1);
  });

  describe('outages', () => {
    it('Redis stopped: commands fail fast, one warning for the outage, shared again once it is back', async () => {
      const cache = replica();
      const entry = cache.entry(identity);
      await entry.storeAndRelease(tokenFor('before'), 60_000, 'o');
      await redis.stop();

      const started = Date.now();
      const failures = await Promise.allSettled(Array.from({ length: 50 }, () => entry.read()));
      expect(failures.every((f) => f.status === 'rejected')).toBe(true);
      expect(Date.now() - started).toBeLessThan(1_000);
      for (let i = 0; i < 20; i += 1)
        await expect(entry.read()).rejects.toThrow(/unavailable|failed/);
      expect(cache.status()).toMatchObject({ available: false, reason: expect.any(String) });
      expect(logs.filter((l) => l.level === 'warn')).toHaveLength(1);
      expect(logs[0].message).toMatch(/Shared token cache \(Redis\) unavailable/);

      await redis.restart();
      // Empty (nothing on disk): a miss, answered by Redis again.
      await eventually(() => entry.read());
      expect(cache.status()).toMatchObject({ available: true });
      expect(logs.map((l) => l.level)).toEqual(['warn', 'log']);
      await entry.storeAndRelease(tokenFor('after'), 60_000, 'o');
      expect((await replica().entry(identity).read()).token).toMatchObject({
        accessToken: 'after',
      });
    });

    it('Redis hung (SIGSTOP): each command gives up at its deadline; it serves again when resumed', async () => {
      const cache = replica({ commandTimeoutMs: 200 });
      const entry = cache.entry(identity);
      await entry.storeAndRelease(tokenFor('t'), 60_000, 'o');
      redis.pause();
      try {
        const started = Date.now();
        await expect(entry.read()).rejects.toThrow();
        const took = Date.now() - started;
        expect(took).toBeGreaterThanOrEqual(150);
        expect(took).toBeLessThan(1_000);
        // While down, no command waits for it: they fail at once until the next probe.
        const quick = Date.now();
        await expect(entry.read()).rejects.toThrow();
        expect(Date.now() - quick).toBeLessThan(50);
      } finally {
        redis.resume();
      }
      expect((await eventually(() => entry.read())).token).toMatchObject({ accessToken: 't' });
      expect(logs.map((l) => l.level)).toEqual(['warn', 'log']);
    });

    it('something that is not Redis at that address: fails fast, never crashes', async () => {
      const server: Server = createServer((socket) => {
        socket.on('data', () => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
        socket.on('error', () => undefined);
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      try {
        const { port } = server.address() as AddressInfo;
        const cache = replica({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 300 });
        const entry = cache.entry(identity);
        for (let i = 0; i < 5; i += 1) {
          const started = Date.now();
          await expect(entry.readOrLease(undefined, 'o', 1_000)).rejects.toThrow();
          expect(Date.now() - started).toBeLessThan(1_000);
        }
        expect(cache.status().available).toBe(false);
        expect(logs.filter((l) => l.level === 'warn')).toHaveLength(1);
      } finally {
        server.close();
      }
    });

    it('a wrong password: unavailable, and the password is in no log line', async () => {
      const secured = await RedisServer.start({ password: 'right-redis-password' });
      try {
        const url = `redis://:wrong-redis-password@127.0.0.1:${secured.port}`;
        const cache = replica({ url });
        await expect(cache.entry(identity).read()).rejects.toThrow();
        expect(logs).toHaveLength(1);
        expect(logs[0].message).not.toContain('wrong-redis-password');
        expect(logs[0].message).not.toContain(url);

        const good = replica({ url: secured.url });
        await good.entry(identity).storeAndRelease(tokenFor('t'), 60_000, 'o');
        expect((await good.entry(identity).read()).token).toMatchObject({ accessToken: 't' });
      } finally {
        await secured.close();
      }
    });
  });

  it('refuses a URL that is not redis:// or rediss://, and bad bounds, naming them', () => {
    expect(() => replica({ url: 'http://127.0.0.1:6379' })).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => replica({ url: 'not a url' })).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => replica({ commandTimeoutMs: 0 })).toThrow(/commandTimeoutMs/);
  });
});
