// The Redis token cache on the Redis topologies production runs, each a set of real
// processes started once for its block (scripts/lib/redis-server.mjs): a 3-primary +
// 3-replica cluster, a Sentinel set, a TLS-only node, with ACL users that may run the
// cache's commands only; and the single node and the cluster on Valkey. On each: the store
// conformance (five replicas, one token request; refresh ahead once; errors remembered;
// 401s), pub/sub through the connection, and what only that topology can get wrong.
import { createHash } from 'node:crypto';
import {
  engineAvailable,
  engineVersion,
  makeTlsFiles,
  RedisCluster,
  type RedisEngine,
  RedisSentinelSet,
  RedisServer,
  type TlsFiles,
} from '../../../../test/helpers/redis-server.js';
import { eventually } from '../../../../test/helpers/eventually.js';
import { ScriptedTokenEndpoint } from '../../../../test/helpers/scripted-token-endpoint.js';
import { describeTokenCacheStore } from '../client/token-cache.conformance.fixture-spec.js';
import { TokenProvider } from '../client/token-provider.js';
import { RedisConnection } from './redis-connection.js';
import type { RedisConnectionOptions } from './redis-connection.options.js';
import {
  RedisTokenCacheStore,
  type RedisTokenCacheStoreOptions,
} from './redis-token-cache.store.js';
import { RedisUnavailableError } from './redis.errors.js';

const BASE = { commandTimeoutMs: 500, probeIntervalMs: 200, refreshSpreadMs: 300 };
const CACHE_PASSWORD = 'cache-acl-password-0123456789';
/**
 * The cache's ACL user as the README documents it: its keys, its scripts' commands, the
 * handshake, and (for a cluster) the slot map. Nothing else: no KEYS, FLUSHALL, CONFIG, ...
 */
const CACHE_USER =
  `m2m-cache on >${CACHE_PASSWORD} resetchannels ~m2m:* -@all ` +
  '+eval +get +set +pexpire +pttl +del +ping +hello +auth +cluster|slots +asking';

// Topologies start once per block and take seconds to (re)form.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 60_000 });

/** Waits for a topology to reach a state: failovers and re-forming take seconds. */
const settle = <T>(fn: () => Promise<T>) => eventually(fn, 15_000, 100);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stores: RedisTokenCacheStore[] = [];
const connections: RedisConnection[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const c of connections.splice(0)) c.close();
});

function storeOn(options: RedisTokenCacheStoreOptions) {
  const store = new RedisTokenCacheStore({ ...BASE, ...options });
  stores.push(store);
  return store;
}

function connectionTo(options: RedisConnectionOptions) {
  const connection = new RedisConnection({ ...BASE, ...options });
  connections.push(connection);
  return connection;
}

/** A message published through `publisher` reaches a subscriber on `subscriber`. */
async function roundTrip(publisher: RedisConnection, subscriber: RedisConnection) {
  const received: string[] = [];
  const subscription = subscriber.subscribe('m2m:events', (message) => received.push(message));
  try {
    await settle(async () => {
      await publisher.send(['PUBLISH', 'm2m:events', 'hello']);
      if (!received.includes('hello')) throw new Error('not yet');
    });
  } finally {
    await subscription.close();
  }
  expect(received[0]).toBe('hello');
}

/** A provider on `cache` with a logger that keeps what it is told. */
function providerOn(cache: RedisTokenCacheStore, endpoint: ScriptedTokenEndpoint) {
  const logs: string[] = [];
  const log = (message: string) => void logs.push(message);
  const provider = new TokenProvider(
    {
      tokenUrl: endpoint.url,
      clientId: 'svc',
      clientSecret: 'topology-test-secret-0123456789',
      scopes: ['api/read'],
      cache,
    },
    { logger: { warn: log, log, error: log } },
  );
  return { provider, logs };
}

function clusterSuite(engine: RedisEngine) {
  describe(`${engine} ${engineVersion(engine)}: a cluster of 3 primaries and 3 replicas, an ACL user`, () => {
    let cluster: RedisCluster;
    const url = () =>
      cluster.seeds().map((seed) => seed.replace('//', `//m2m-cache:${CACHE_PASSWORD}@`));
    const store = (options: Partial<RedisTokenCacheStoreOptions> = {}) =>
      storeOn({ url: url(), mode: 'cluster', ...options });

    beforeAll(async () => {
      cluster = await RedisCluster.start({ engine, users: [CACHE_USER] });
    });
    afterAll(() => cluster?.close());
    beforeEach(() => settle(() => cluster.flushAll()));

    describeTokenCacheStore(`RedisTokenCacheStore on a ${engine} cluster`, {
      replica: () => store(),
      reset: () => undefined, // flushed before each test, above
      outage: { start: () => cluster.stop(), end: () => cluster.restart() },
    });

    it('an entry and its lease share one slot; entries spread over the primaries', async () => {
      const cache = store();
      const names = Array.from({ length: 30 }, (_, i) =>
        createHash('sha256').update(String(i)).digest('base64url'),
      );
      for (const name of names) {
        await cache.set(name, 'v', 60_000);
        expect(await cache.lease.acquire(name, 'owner', 1_000)).toBe(0);
      }
      const owners = new Set<number>();
      for (const name of names) {
        const [token, lease] = await Promise.all(
          ['token', 'lease'].map((kind) => cluster.primaryOf(`m2m:{${name}}:${kind}`)),
        );
        expect(token).toBeDefined();
        expect(lease).toBe(token);
        owners.add(token!.port);
      }
      expect(owners.size).toBe(3);
    });

    it('follows a slot that moves under it: ASK while it migrates, MOVED after', async () => {
      const cache = store();
      const name = 'moving-entry';
      await cache.set(name, 'before', 60_000);
      expect(await cache.lease.acquire(name, 'o', 60_000)).toBe(0);
      const entry = `m2m:{${name}}:token`;
      const source = (await cluster.primaryOf(entry))!;
      const primaries = [];
      for (const node of cluster.nodes) {
        if ((await node.cli(['ROLE'])).startsWith('master')) primaries.push(node);
      }
      const target = primaries.find((n) => n !== source)!;
      const id = async (node: RedisServer) => (await node.cli(['CLUSTER', 'MYID'])).trim();
      const slot = (await source.cli(['CLUSTER', 'KEYSLOT', entry])).trim();
      await target.cli(['CLUSTER', 'SETSLOT', slot, 'IMPORTING', await id(source)]);
      await source.cli(['CLUSTER', 'SETSLOT', slot, 'MIGRATING', await id(target)]);
      // The entry moves, its lease (not there yet) stays: the source answers ASK for it.
      await source.cli(['MIGRATE', '127.0.0.1', String(target.port), entry, '0', '5000']);
      expect(await cache.get(name)).toBe('before');
      expect(await cache.lease.acquire(name, 'o', 60_000)).toBe(0);
      await source.cli([
        'MIGRATE',
        '127.0.0.1',
        String(target.port),
        `m2m:{${name}}:lease`,
        '0',
        '5000',
      ]);
      for (const node of primaries) {
        await node.cli(['CLUSTER', 'SETSLOT', slot, 'NODE', await id(target)]);
      }
      // The slot is the target's now: the store's stale map gets MOVED and follows it.
      await cache.set(name, 'after', 60_000);
      expect(await cache.get(name)).toBe('after');
      expect(await cache.lease.acquire(name, 'o', 1_000)).toBe(0);
      expect(await cluster.primaryOf(entry)).toBe(target);
      expect((await target.cli(['EXISTS', entry])).trim()).toBe('1');
    });

    it('pub/sub through the connection: published on one node, heard on the subscriber', async () => {
      const users = { url: url(), mode: 'cluster' as const };
      // The cache's user has no channels: the default user publishes and subscribes here.
      const plain = { ...users, url: cluster.seeds() };
      await roundTrip(connectionTo(plain), connectionTo(plain));
    });

    it('the ACL user runs the cache and nothing else', async () => {
      const connection = connectionTo({ url: url(), mode: 'cluster' });
      await expect(
        connection.send(['SET', 'm2m:{x}:token', 'v'], { key: 'm2m:{x}:token' }),
      ).resolves.toBe('OK');
      const refused = await connection
        .send(['SET', 'other', 'v'], { key: 'other' })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RedisUnavailableError);
      expect(refused).toMatchObject({ reason: 'NOPERM' });
    });
  });
}

function standaloneSuite(engine: RedisEngine) {
  describe(`${engine} ${engineVersion(engine)}: a single node`, () => {
    let node: RedisServer;
    const store = () => storeOn({ url: node.url });
    beforeAll(async () => {
      node = await RedisServer.start({ engine });
    });
    afterAll(() => node?.close());
    beforeEach(async () => {
      if (!node.running) await node.restart();
      await settle(() => node.cli(['FLUSHALL']));
    });

    describeTokenCacheStore(`RedisTokenCacheStore on ${engine}`, {
      replica: () => store(),
      reset: () => undefined, // flushed before each test, above
      outage: { start: () => node.stop(), end: () => node.restart() },
    });

    it('pub/sub through the connection, on a connection of its own', async () => {
      await roundTrip(connectionTo({ url: node.url }), connectionTo({ url: node.url }));
    });
  });
}

describe.runIf(engineAvailable('redis'))('Redis topologies', () => {
  clusterSuite('redis');

  describe(`redis ${engineVersion('redis')}: Sentinel (a primary, a replica, three Sentinels)`, () => {
    let set: RedisSentinelSet;
    const options = () => ({
      url: set.urls.join(','),
      mode: 'sentinel' as const,
      sentinelMaster: set.master,
    });
    beforeAll(async () => {
      set = await RedisSentinelSet.start();
    });
    afterAll(() => set?.close());
    beforeEach(async () => {
      for (const node of [set.primary, set.replica]) {
        if ((await node.cli(['ROLE'])).startsWith('master')) await node.cli(['FLUSHALL']);
      }
    });

    describeTokenCacheStore('RedisTokenCacheStore under Sentinel', {
      replica: () => storeOn(options()),
      reset: () => undefined, // flushed before each test, above
    });

    it('pub/sub through the connection', async () => {
      await roundTrip(connectionTo(options()), connectionTo(options()));
    });

    it('a failover: the replica takes over with the entries, and the store follows it', async () => {
      const cache = storeOn(options());
      await cache.set('entry', 'before', 60_000);
      await settle(async () => {
        const offsets = await set.replica.cli(['INFO', 'replication']);
        if (!/master_link_status:up/.test(offsets)) throw new Error('not in sync');
      });
      await sleep(200); // the entry reaches the replica
      await set.sentinels[0].cli(['SENTINEL', 'FAILOVER', set.master]);
      await settle(async () => {
        if (!(await set.replica.cli(['ROLE'])).startsWith('master')) throw new Error('not yet');
      });
      expect(await settle(() => cache.get('entry'))).toBe('before');
      // Writes reach the new primary once the store has followed it (one taken by the old
      // primary just before it was demoted is lost, as Redis replication is asynchronous).
      await settle(async () => {
        await cache.set('entry', 'after', 60_000);
        expect((await set.replica.cli(['GET', 'm2m:{entry}:token'])).trim()).toBe('after');
      });
      expect(await cache.get('entry')).toBe('after');
    });
  });

  describe(`redis ${engineVersion('redis')}: TLS only, a CA file, a server name, an ACL user`, () => {
    let tls: TlsFiles;
    let node: RedisServer;
    let endpoint: ScriptedTokenEndpoint;
    const url = (password = CACHE_PASSWORD) =>
      `rediss://m2m-cache:${password}@127.0.0.1:${node.port}`;
    const secure = (options: Partial<RedisTokenCacheStoreOptions> = {}) =>
      storeOn({ url: url(), caFile: tls.ca, tlsServerName: 'redis.test', ...options });

    beforeAll(async () => {
      tls = await makeTlsFiles({ names: ['redis.test'] });
      node = await RedisServer.start({ tls, password: 'admin-password', users: [CACHE_USER] });
    });
    afterAll(async () => {
      await node?.close();
      await tls?.close();
    });
    beforeEach(async () => {
      if (!node.running) await node.restart();
      await settle(() => node.cli(['FLUSHALL']));
      endpoint = new ScriptedTokenEndpoint();
      await endpoint.start();
    });
    afterEach(() => endpoint.stop());

    describeTokenCacheStore('RedisTokenCacheStore over TLS', {
      replica: () => secure(),
      reset: () => undefined, // flushed before each test, above
      outage: { start: () => node.stop(), end: () => node.restart() },
    });

    it('pub/sub through the connection', async () => {
      const admin = {
        url: `rediss://:admin-password@127.0.0.1:${node.port}`,
        caFile: tls.ca,
        tlsServerName: 'redis.test',
      };
      await roundTrip(connectionTo(admin), connectionTo(admin));
    });

    // What each case changes; `wrong-password` and `other-ca` stand for values made below.
    const cases: [string, Partial<RedisTokenCacheStoreOptions>, RegExp][] = [
      ['a wrong password', { url: 'wrong-password' }, /^WRONGPASS$/],
      ['a CA that did not sign the server', { caFile: 'other-ca' }, /CERT|SIGNATURE/],
      ['no CA file (the default trust store)', { caFile: undefined }, /CERT|SIGNATURE/],
      ['a server name the certificate lacks', { tlsServerName: 'other.test' }, /ALTNAME/],
      ['no server name (the URL names an address)', { tlsServerName: undefined }, /ALTNAME/],
    ];
    it.each(cases)(
      '%s: fails closed to the in-process cache, one warning, every call served',
      async (_, override, reason) => {
        const options = { ...override };
        if (options.url) options.url = url('wrong-password-42');
        if (options.caFile) options.caFile = tls.otherCa;
        const { provider, logs } = providerOn(secure(options), endpoint);
        try {
          for (let i = 0; i < 5; i += 1) expect(await provider.getToken()).toBe('tok-1');
          expect(endpoint.seen).toHaveLength(1);
          expect(logs).toHaveLength(1);
          const [, why] = /unavailable \((\w+)\)/.exec(logs[0]) ?? [];
          expect(why).toMatch(reason);
          expect(logs[0]).not.toContain('wrong-password-42');
          expect(logs[0]).not.toContain(CACHE_PASSWORD);
          expect(await provider.readiness()).toMatchObject({ up: true });
        } finally {
          provider.close();
        }
      },
    );
  });

  standaloneSuite('redis');
});

describe.runIf(engineAvailable('valkey'))('Valkey', () => {
  standaloneSuite('valkey');
  clusterSuite('valkey');
});
