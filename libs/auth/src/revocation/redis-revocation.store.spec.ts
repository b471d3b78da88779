// The revocation list's Redis store against a real redis-server (started on a free port with
// nothing on disk): what lands in Redis, the bound, the push to another connection, outages.
import { createClient } from '@redis/client';
import { RedisServer } from '../../../../test/helpers/redis-server.js';
import { RedisUnavailableError } from '../redis/redis.errors.js';
import { RedisRevocationStore } from './redis-revocation.store.js';
import { entryOf } from './revocation-entry.js';
import { RevocationListFullError } from './revocation.errors.js';

let redis: RedisServer;
let raw: ReturnType<typeof createClient>;
const stores: RedisRevocationStore[] = [];
const store = (options: { keyPrefix?: string; maxEntries?: number } = {}) => {
  const s = new RedisRevocationStore({
    url: redis.url,
    commandTimeoutMs: 300,
    probeIntervalMs: 200,
    ...options,
  });
  stores.push(s);
  return s;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  redis = await RedisServer.start();
  raw = createClient({ url: redis.url });
  // It reconnects by itself after the outage test.
  raw.on('error', () => undefined);
  await raw.connect();
});
afterAll(async () => {
  for (const s of stores) s.close();
  raw.destroy();
  await redis.close();
});
beforeEach(async () => {
  await raw.flushAll();
});

describe('RedisRevocationStore', () => {
  it('adds entries under one hash tag and loads them, with a version that moves', async () => {
    const s = store();
    const first = await s.load();
    expect(first).toEqual({ version: '0', entries: [] });
    const jti = entryOf({ jti: '4d2c-9b1e' }, Date.now());
    const client = entryOf({ clientId: 'weather-caller' }, Date.now());
    await s.add([jti, client]);
    expect(await raw.keys('*')).toEqual(
      expect.arrayContaining(['auth:{revocations}:entries', 'auth:{revocations}:version']),
    );
    const loaded = await s.load(first.version);
    expect(loaded.version).toBe('1');
    expect(loaded.entries).toEqual(expect.arrayContaining([jti, client]));
    // Unchanged since: the version only, no entries read.
    expect(await s.load(loaded.version)).toEqual({ version: '1' });
    // The key lives as long as its last entry.
    const ttl = await raw.ttl('auth:{revocations}:entries');
    expect(ttl).toBeGreaterThan(86_000);
  });

  it('keeps fleets apart by key prefix', async () => {
    await store({ keyPrefix: 'fleet-a:' }).add([entryOf({ jti: 'a' }, Date.now())]);
    expect((await store({ keyPrefix: 'fleet-b:' }).load()).entries).toEqual([]);
    expect((await store({ keyPrefix: 'fleet-a:' }).load()).entries).toHaveLength(1);
  });

  it('refuses past its bound and then writes nothing, leaving room as entries expire', async () => {
    const s = store({ maxEntries: 2 });
    await s.add([entryOf({ jti: 'a' }, Date.now()), entryOf({ jti: 'b' }, Date.now())]);
    await expect(s.add([entryOf({ jti: 'c' }, Date.now())])).rejects.toThrow(
      RevocationListFullError,
    );
    expect(await raw.zCard('auth:{revocations}:entries')).toBe(2);
    expect(await raw.get('auth:{revocations}:version')).toBe('1');
    // An entry already there takes no room: it keeps the later expiry.
    await s.add([entryOf({ jti: 'a' }, Date.now())]);
    // An expired entry leaves on the next add.
    await raw.zAdd('auth:{revocations}:entries', { score: 1, value: 'jti:b' });
    await s.add([entryOf({ jti: 'c' }, Date.now())]);
    const { entries } = await s.load();
    expect(entries?.map((e) => (e.kind === 'jti' ? e.jti : '')).sort()).toEqual(['a', 'c']);
  });

  it('skips what is not an entry, and expired entries', async () => {
    const far = Math.floor(Date.now() / 1000) + 3600;
    await raw.zAdd('auth:{revocations}:entries', [
      { score: far, value: 'not-an-entry' },
      { score: far, value: 'client:has space:1' },
      { score: 1, value: 'jti:expired' },
      { score: far, value: 'jti:kept' },
    ]);
    await raw.set('auth:{revocations}:version', '7');
    expect((await store().load()).entries).toEqual([{ kind: 'jti', jti: 'kept', expiresAt: far }]);
  });

  it('tells another connection of an add', async () => {
    const reader = store();
    let changes = 0;
    const watch = reader.watch(() => changes++);
    // The subscription is made in the background.
    await sleep(300);
    await store().add([entryOf({ jti: 'pushed' }, Date.now())]);
    for (let i = 0; i < 40 && changes === 0; i++) await sleep(25);
    expect(changes).toBe(1);
    await watch.close();
  });

  it('fails fast, with a reason, while Redis is down', async () => {
    const s = store();
    await s.load();
    await redis.stop();
    try {
      const started = Date.now();
      const failure = await s.load().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(RedisUnavailableError);
      expect((failure as RedisUnavailableError).reason).toMatch(/^[A-Za-z_]+$/);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await redis.restart();
    }
  });
});
