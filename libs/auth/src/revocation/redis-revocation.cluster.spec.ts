// The revocation list on a Redis Cluster (3 primaries, 3 replicas; real processes from
// scripts/lib/redis-server.mjs), reached as the README's ACL user with the access string it
// documents: the list's keys share one slot, a change reaches a store on another node, and
// the user can do nothing else.
import { eventually } from '../../../../test/helpers/eventually.js';
import { RedisCluster } from '../../../../test/helpers/redis-server.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { RedisUnavailableError } from '../redis/redis.errors.js';
import { RedisRevocationStore } from './redis-revocation.store.js';
import { entryOf } from './revocation-entry.js';

const PASSWORD = 'revoker-acl-password-0123456789';
/** The list's ACL user as libs/auth/README.md documents it (default prefix `auth:`). */
const REVOKER =
  `revoker on >${PASSWORD} resetchannels ~auth:{revocations}:* &auth:{revocations}:changed -@all ` +
  '+eval +zremrangebyscore +zscore +zcard +zadd +zrange +zrangebyscore +expireat +incr +get ' +
  '+publish +subscribe +unsubscribe +ping +hello +auth +cluster|slots +asking';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 60_000 });

let cluster: RedisCluster;
const closing: { close(): void }[] = [];
const asRevoker = () => cluster.seeds().map((seed) => seed.replace('//', `//revoker:${PASSWORD}@`));
const store = () => {
  const s = new RedisRevocationStore({
    url: asRevoker(),
    mode: 'cluster',
    commandTimeoutMs: 500,
    probeIntervalMs: 200,
  });
  closing.push(s);
  return s;
};
/** The default user, for what the test itself looks at. */
const admin = () => {
  const c = new RedisConnection({ url: cluster.seeds(), mode: 'cluster', commandTimeoutMs: 500 });
  closing.push(c);
  return c;
};

beforeAll(async () => {
  cluster = await RedisCluster.start({ users: [REVOKER] });
});
afterAll(async () => {
  for (const c of closing.splice(0)) c.close();
  await cluster?.close();
});

describe('RedisRevocationStore on a cluster, as its ACL user', () => {
  it('keeps the list in one slot, and a change reaches a store on another connection', async () => {
    const writer = store();
    const reader = store();
    const changes: number[] = [];
    const watch = reader.watch(() => changes.push(Date.now()));
    const entry = entryOf({ clientId: 'weather-caller' }, Date.now());
    // The subscription is made in the background: add until it hears one.
    await eventually(
      async () => {
        await writer.add([entry]);
        if (changes.length === 0) throw new Error('not told yet');
      },
      10_000,
      200,
    );
    await watch.close();
    const loaded = await reader.load();
    expect(loaded.entries).toEqual([entry]);
    expect(Number(loaded.version)).toBeGreaterThanOrEqual(1);

    const slot = async (key: string) => admin().send(['CLUSTER', 'KEYSLOT', key]);
    const entriesSlot = await slot('auth:{revocations}:entries');
    expect(await slot('auth:{revocations}:version')).toBe(entriesSlot);
    expect(await slot('auth:{revocations}:changed')).toBe(entriesSlot);
  });

  it('the ACL user runs the list and nothing else', async () => {
    const connection = new RedisConnection({ url: asRevoker(), mode: 'cluster' });
    closing.push(connection);
    const refused = await connection
      .send(['SET', 'm2m:{x}:token', 'v'], { key: 'm2m:{x}:token' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RedisUnavailableError);
    expect(refused).toMatchObject({ reason: 'NOPERM' });
  });
});
