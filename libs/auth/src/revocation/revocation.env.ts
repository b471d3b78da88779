import { redisConnectionOptionsFromEnv } from '../redis/redis-connection.env.js';
import { EnvReader } from '../shared/env.js';
import {
  KEY_PREFIX,
  RedisRevocationStore,
  type RedisRevocationStoreOptions,
} from './redis-revocation.store.js';
import type { RevocationListOptions } from './revocation-list.js';

/**
 * The fleet's revocation list in Redis from the environment, or `undefined` when
 * `AUTH_REVOCATION_REDIS_URL` is unset: then revocation is off, and node-redis is never loaded.
 *
 * | variable | option | default |
 * | --- | --- | --- |
 * | `AUTH_REVOCATION_REDIS_URL` | `url`: `redis://[[user]:password@]host[:port][/db]` or `rediss://` | unset: off |
 * | `AUTH_REVOCATION_REDIS_MODE`, `_SENTINEL_MASTER`, `_CA_FILE`, `_TLS_SERVERNAME` | the connection's `mode`, ... | as `redisConnectionOptionsFromEnv` |
 * | `AUTH_REVOCATION_KEY_PREFIX` | `keyPrefix` | `auth:` |
 * | `AUTH_REVOCATION_MAX_ENTRIES` | `maxEntries` | 50000 |
 *
 * The connection is read by `redisConnectionOptionsFromEnv(env, 'AUTH_REVOCATION_REDIS')`, the reader of the
 * token cache's `TOKEN_CACHE_REDIS_*`: a single node, Cluster, Sentinel, TLS and ACL users alike.
 * `timeouts` override the connection's (a command-line tool may wait longer than a server).
 * Throws an `EnvConfigError` naming the variable, never its value.
 *
 * @example
 * ```ts
 * const store = redisRevocationStoreFromEnv(process.env);
 * if (store) await revoke(store, { clientId: 'weather-caller' });
 * ```
 */
export function redisRevocationStoreFromEnv(
  env: NodeJS.ProcessEnv,
  timeouts: Pick<RedisRevocationStoreOptions, 'commandTimeoutMs' | 'connectTimeoutMs'> = {},
): RedisRevocationStore | undefined {
  const read = new EnvReader(env);
  const keyPrefix = read.text('AUTH_REVOCATION_KEY_PREFIX');
  if (keyPrefix !== undefined && !KEY_PREFIX.test(keyPrefix)) {
    read.fail(
      'AUTH_REVOCATION_KEY_PREFIX',
      'AUTH_REVOCATION_KEY_PREFIX must be 1-64 printable characters without spaces',
    );
  }
  const maxEntries = read.int('AUTH_REVOCATION_MAX_ENTRIES', 1, 10_000_000);
  const connection = redisConnectionOptionsFromEnv(env, 'AUTH_REVOCATION_REDIS');
  if (connection === undefined) {
    for (const variable of ['AUTH_REVOCATION_KEY_PREFIX', 'AUTH_REVOCATION_MAX_ENTRIES']) {
      if (read.text(variable) !== undefined) {
        read.fail(
          'AUTH_REVOCATION_REDIS_URL',
          `AUTH_REVOCATION_REDIS_URL is required when ${variable} is set`,
        );
      }
    }
    return undefined;
  }
  return new RedisRevocationStore({ ...connection, ...timeouts, keyPrefix, maxEntries });
}

/**
 * `ResourceServerModule`'s `revocation` option from the environment (the store of
 * {@link redisRevocationStoreFromEnv}, and `AUTH_REVOCATION_RELOAD_SECONDS`, default 5: how
 * often a copy checks the store for a change it was not told of), or `undefined` when
 * `AUTH_REVOCATION_REDIS_URL` is unset.
 *
 * @example
 * ```ts
 * ResourceServerModule.forRoot({
 *   ...resourceServerOptionsFromEnv(process.env, { realm: 'inventory-api' }),
 *   revocation: revocationOptionsFromEnv(process.env),
 * });
 * ```
 */
export function revocationOptionsFromEnv(
  env: NodeJS.ProcessEnv,
): RevocationListOptions | undefined {
  const reloadIntervalMs = new EnvReader(env).number('AUTH_REVOCATION_RELOAD_SECONDS', {
    min: 0,
    exclusiveMin: true,
    max: 3_600,
  });
  const store = redisRevocationStoreFromEnv(env);
  return store && { store, reloadIntervalMs: reloadIntervalMs && reloadIntervalMs * 1000 };
}
