import { EnvConfigError } from '../shared/errors.js';
import { RedisRevocationStore } from './redis-revocation.store.js';
import { redisRevocationStoreFromEnv, revocationOptionsFromEnv } from './revocation.env.js';

describe('revocationOptionsFromEnv', () => {
  it('is off (undefined) without AUTH_REVOCATION_REDIS_URL', () => {
    expect(revocationOptionsFromEnv({})).toBeUndefined();
    expect(redisRevocationStoreFromEnv({ AUTH_REVOCATION_REDIS_URL: ' ' })).toBeUndefined();
  });

  it('makes the Redis store and the reload interval from the environment', () => {
    const options = revocationOptionsFromEnv({
      AUTH_REVOCATION_REDIS_URL: 'redis://:secret@cache:6379',
      AUTH_REVOCATION_KEY_PREFIX: 'fleet-a:',
      AUTH_REVOCATION_MAX_ENTRIES: '10000',
      AUTH_REVOCATION_RELOAD_SECONDS: '2',
    });
    expect(options?.store).toBeInstanceOf(RedisRevocationStore);
    expect(options?.store.maxEntries).toBe(10_000);
    expect(options?.reloadIntervalMs).toBe(2_000);
    options?.store.close();
  });

  it('reads the connection as the token cache does: a cluster, Sentinel, a CA file', () => {
    const cluster = redisRevocationStoreFromEnv({
      AUTH_REVOCATION_REDIS_URL: 'rediss://revoker:secret@node-a:6379,rediss://node-b:6379',
      AUTH_REVOCATION_REDIS_MODE: 'cluster',
      AUTH_REVOCATION_REDIS_TLS_SERVERNAME: 'cache.internal',
    });
    expect(cluster).toBeInstanceOf(RedisRevocationStore);
    cluster?.close();
    const sentinel = redisRevocationStoreFromEnv({
      AUTH_REVOCATION_REDIS_URL: 'redis://sentinel-a,redis://sentinel-b',
      AUTH_REVOCATION_REDIS_MODE: 'sentinel',
      AUTH_REVOCATION_REDIS_SENTINEL_MASTER: 'revocations',
    });
    expect(sentinel).toBeInstanceOf(RedisRevocationStore);
    sentinel?.close();
  });

  it.each([
    [{ AUTH_REVOCATION_REDIS_URL: 'http://cache:6379' }, 'AUTH_REVOCATION_REDIS_URL'],
    [
      { AUTH_REVOCATION_REDIS_URL: 'redis://cache:6379', AUTH_REVOCATION_REDIS_MODE: 'ring' },
      'AUTH_REVOCATION_REDIS_MODE',
    ],
    [
      { AUTH_REVOCATION_REDIS_URL: 'redis://cache:6379', AUTH_REVOCATION_REDIS_MODE: 'sentinel' },
      'AUTH_REVOCATION_REDIS_SENTINEL_MASTER',
    ],
    [
      {
        AUTH_REVOCATION_REDIS_URL: 'redis://cache:6379',
        AUTH_REVOCATION_REDIS_CA_FILE: '/nonexistent/ca.pem',
      },
      'AUTH_REVOCATION_REDIS_CA_FILE',
    ],
    [{ AUTH_REVOCATION_REDIS_MODE: 'cluster' }, 'AUTH_REVOCATION_REDIS_URL'],
    [{ AUTH_REVOCATION_KEY_PREFIX: 'fleet-a:' }, 'AUTH_REVOCATION_REDIS_URL'],
    [
      { AUTH_REVOCATION_REDIS_URL: 'redis://c', AUTH_REVOCATION_KEY_PREFIX: 'a b' },
      'AUTH_REVOCATION_KEY_PREFIX',
    ],
    [
      { AUTH_REVOCATION_REDIS_URL: 'redis://c', AUTH_REVOCATION_MAX_ENTRIES: '0' },
      'AUTH_REVOCATION_MAX_ENTRIES',
    ],
    [
      { AUTH_REVOCATION_REDIS_URL: 'redis://c', AUTH_REVOCATION_RELOAD_SECONDS: '0' },
      'AUTH_REVOCATION_RELOAD_SECONDS',
    ],
  ])('fails fast on %o naming %s, never the value', (env, variable) => {
    const failure = (() => {
      try {
        revocationOptionsFromEnv(env);
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(EnvConfigError);
    expect(failure).toMatchObject({ variable });
    expect((failure as Error).message).not.toContain('cache:6379');
  });
});
