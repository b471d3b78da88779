// The shared token cache on a Redis Cluster (3 primaries, 3 replicas on loopback, made by
// redis-cli --cluster create), with five caller processes from dist/ configured as a team on
// ElastiCache Serverless would be (TOKEN_CACHE_REDIS_MODE=cluster, seed nodes): one token
// request for the five, then a primary killed under load. Counted at the issuer.
import { RedisConnection } from '@nest-m2m-cognito/auth/redis';
import type { ServiceProcess } from '../scripts/lib/fleet.mjs';
import { eventually } from './helpers/eventually.js';
import { READ_CLIENT, WRITE_CLIENT } from './helpers/process-fleet.js';
import { RedisCluster } from './helpers/redis-server.js';
import { SharedCacheFleet, UNAVAILABLE } from './helpers/shared-cache-fleet.js';

const PREFIX = 'e2e-cluster:';
const JWT = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/;

describe('five callers sharing a token cache in a Redis Cluster', () => {
  let cluster: RedisCluster;
  let fleet: SharedCacheFleet;
  let env: Record<string, string>;
  let callers: ServiceProcess[] = [];
  const outputs: string[] = [];

  beforeAll(async () => {
    [cluster, fleet] = await Promise.all([RedisCluster.start(), SharedCacheFleet.start()]);
    env = fleet.callerEnv({
      TOKEN_CACHE_REDIS_URL: cluster.seeds(3).join(','),
      TOKEN_CACHE_REDIS_MODE: 'cluster',
      TOKEN_CACHE_KEY_PREFIX: PREFIX,
    });
  });
  afterAll(async () => {
    await fleet?.close();
    await cluster?.close();
  });

  const restart = async (index: number) => {
    outputs.push(callers[index].output);
    await fleet.stop([callers[index]]);
    callers[index] = await fleet.caller(env, callers[index].port);
  };

  it('started at the same moment and hit by 50 concurrent calls each: one token request', async () => {
    callers = await fleet.callers(5, env);
    const statuses = await SharedCacheFleet.hit(callers, 50);
    expect(statuses).toEqual(Array(250).fill(200));
    expect(await fleet.issued(READ_CLIENT.id)).toBe(1);
    expect(await fleet.issued(WRITE_CLIENT.id)).toBe(1);
  });

  it(
    'a primary killed under load: no call fails; after the failover, no token request more',
    {
      timeout: 120_000,
    },
    async () => {
      const before = await fleet.issued();
      // A primary holding a client's entry (its lease beside it: one hash tag).
      const probe = new RedisConnection({ url: cluster.seeds(3), mode: 'cluster' });
      let entry: string | undefined;
      let primary: (typeof cluster.nodes)[number] | undefined;
      for (const node of cluster.nodes) {
        if (!(await node.cli(['ROLE'])).startsWith('master')) continue;
        const [key] = (await node.cli(['KEYS', `${PREFIX}*:token`])).split('\n').filter(Boolean);
        if (key) {
          [entry, primary] = [key, node];
          break;
        }
      }
      expect(entry).toBeDefined();
      expect(primary).toBeDefined();

      // Load: two calls in flight on each caller that stays up (2, 3, 4), until stopped.
      let loading = true;
      const statuses = new Map<number, number>();
      const load = Promise.all(
        [2, 3, 4, 2, 3, 4].map(async (i) => {
          while (loading) {
            const status = await fetch(`${callers[i].url}/forecast`).then(
              (r) => r.status,
              () => 0,
            );
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
          }
        }),
      );
      await new Promise((r) => setTimeout(r, 1_000));

      const killedAt = Date.now();
      await primary!.kill();
      // Healed for a store: the library's own cluster client, made now, reads the entry (from
      // the promoted replica); and for the cluster: every live node says cluster_state:ok.
      const healed = Promise.all([
        eventually(() => probe.send(['PTTL', entry!], { key: entry! }), 30_000, 50).then(
          () => Date.now() - killedAt,
        ),
        cluster.healed().then(() => Date.now() - killedAt),
      ]);
      // Callers 0 and 1 restart meanwhile: with no primary for the slot, each must get a
      // token anyway (from the issuer, or from Redis once healed).
      await Promise.all([restart(0), restart(1)]);
      expect(await SharedCacheFleet.hit(callers.slice(0, 2), 10)).toEqual(Array(20).fill(200));
      const [healedMs, clusterHealedMs] = await healed;
      await new Promise((r) => setTimeout(r, 1_000));
      loading = false;
      await load;
      probe.close();
      const duringOutage = (await fleet.issued()) - before;

      // Healed: all five restarted make no token request.
      await Promise.all(callers.map((_, i) => restart(i)));
      expect(await SharedCacheFleet.hit(callers, 5)).toEqual(Array(25).fill(200));
      const afterHeal = (await fleet.issued()) - before - duringOutage;
      const total = [...statuses.values()].reduce((a, b) => a + b, 0);
      const failed = total - (statuses.get(200) ?? 0);
      console.log(
        `cluster failover under load: ${total} calls on the 3 callers that stayed up, ` +
          `${failed} failed; ${duringOutage} extra token request(s) while the slot had no ` +
          `primary (2 callers restarted then), ${afterHeal} after 5 more restarts; healed for ` +
          `a new client in ${healedMs} ms, cluster_state:ok on every node in ${clusterHealedMs} ms`,
      );
      expect(failed).toBe(0);
      expect(total).toBeGreaterThan(100);
      expect(duringOutage).toBeLessThanOrEqual(2);
      expect(afterHeal).toBe(0);
      expect(healedMs).toBeLessThan(15_000);
    },
  );

  it('no caller logged a secret, a token or a password; at most one warning per process', () => {
    for (const text of [...outputs, ...callers.map((c) => c.output)]) {
      expect(text).not.toContain(READ_CLIENT.secret);
      expect(text).not.toContain(WRITE_CLIENT.secret);
      expect(text).not.toMatch(JWT);
      expect((text.match(UNAVAILABLE) ?? []).length).toBeLessThanOrEqual(1);
    }
  });
});
