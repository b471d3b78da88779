// The shared token cache under Sentinel, and on a TLS-only Redis with an ACL user, with
// caller processes from dist/ configured by TOKEN_CACHE_REDIS_*: five started together make
// one token request; a wrong password or CA fails closed to each process's own cache with one
// warning, every call answered. Counted at the issuer.
import type { ServiceProcess } from '../scripts/lib/fleet.mjs';
import { READ_CLIENT, WRITE_CLIENT } from './helpers/process-fleet.js';
import {
  makeTlsFiles,
  RedisSentinelSet,
  RedisServer,
  type TlsFiles,
} from './helpers/redis-server.js';
import { SharedCacheFleet, UNAVAILABLE } from './helpers/shared-cache-fleet.js';

const CACHE_PASSWORD = 'e2e-cache-acl-password-0123';
const CACHE_USER =
  `m2m-cache on >${CACHE_PASSWORD} resetchannels ~m2m:* -@all ` +
  '+eval +get +set +pexpire +pttl +del +ping +hello +auth';
const JWT = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/;

describe('callers sharing a token cache under Sentinel and over TLS with an ACL user', () => {
  let fleet: SharedCacheFleet;
  let sentinel: RedisSentinelSet;
  let tls: TlsFiles;
  let node: RedisServer;
  const outputs: string[] = [];

  beforeAll(async () => {
    tls = await makeTlsFiles({ names: ['redis.test'] });
    [fleet, sentinel, node] = await Promise.all([
      SharedCacheFleet.start(),
      RedisSentinelSet.start(),
      RedisServer.start({ tls, password: 'e2e-admin-password', users: [CACHE_USER] }),
    ]);
  });
  afterAll(async () => {
    await fleet?.close();
    await Promise.all([sentinel?.close(), node?.close()]);
    await tls?.close();
  });

  /** Five callers with `redis`, started together, 20 calls each; stopped after. */
  const fiveTogether = async (redis: Record<string, string>) => {
    const before = await fleet.issued();
    const callers = await fleet.callers(5, fleet.callerEnv(redis));
    try {
      expect(await SharedCacheFleet.hit(callers, 20)).toEqual(Array(100).fill(200));
      expect((await fleet.issued()) - before).toBe(1);
      for (const c of callers) expect(c.output).not.toMatch(UNAVAILABLE);
    } finally {
      outputs.push(...callers.map((c) => c.output));
      await fleet.stop(callers);
    }
  };

  const tlsEnv = (password = CACHE_PASSWORD, caFile = tls.ca) => ({
    TOKEN_CACHE_REDIS_URL: `rediss://m2m-cache:${password}@127.0.0.1:${node.port}`,
    TOKEN_CACHE_REDIS_CA_FILE: caFile,
    TOKEN_CACHE_REDIS_TLS_SERVERNAME: 'redis.test',
  });

  it('Sentinel: five started together make one token request', async () => {
    await fiveTogether({
      TOKEN_CACHE_REDIS_URL: sentinel.urls.join(','),
      TOKEN_CACHE_REDIS_MODE: 'sentinel',
      TOKEN_CACHE_REDIS_SENTINEL_MASTER: sentinel.master,
    });
  });

  it('TLS only, a CA file, a server name, an ACL user: five started together make one token request', async () => {
    await fiveTogether(tlsEnv());
  });

  it.each([
    ['a wrong password', () => tlsEnv('not-the-acl-password-42'), /^WRONGPASS$/],
    ['a CA that did not sign the server', () => tlsEnv(CACHE_PASSWORD, tls.otherCa), /CERT/],
  ])(
    '%s: fails closed to the process cache, one warning, every call answered',
    async (_, env, reason) => {
      const before = await fleet.issued();
      let caller: ServiceProcess | undefined;
      try {
        caller = await fleet.caller(fleet.callerEnv(env()));
        for (let i = 0; i < 3; i += 1) {
          expect(await SharedCacheFleet.hit([caller], 10)).toEqual(Array(10).fill(200));
        }
        // Its own token (Redis refused it), once for all its calls.
        expect((await fleet.issued()) - before).toBe(1);
        const warnings = [...caller.output.matchAll(UNAVAILABLE)];
        expect(warnings).toHaveLength(1);
        expect(warnings[0][1]).toMatch(reason);
        expect(caller.output).not.toContain('not-the-acl-password-42');
      } finally {
        if (caller) {
          outputs.push(caller.output);
          await fleet.stop([caller]);
        }
      }
    },
  );

  it('no caller logged a secret, a token or a Redis password', () => {
    expect(outputs.length).toBeGreaterThanOrEqual(12);
    for (const text of outputs) {
      for (const secret of [READ_CLIENT.secret, WRITE_CLIENT.secret, CACHE_PASSWORD]) {
        expect(text).not.toContain(secret);
      }
      expect(text).not.toMatch(JWT);
    }
  });
});
