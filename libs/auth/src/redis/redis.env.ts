import { EnvReader } from '../shared/env.js';
import { keyPrefixFromEnv, redisConnectionOptionsFromEnv } from './redis-connection.env.js';
import {
  RedisTokenCacheStore,
  type RedisTokenCacheStoreOptions,
} from './redis-token-cache.store.js';

/**
 * The shared token cache's options from the environment, or `undefined` when
 * `TOKEN_CACHE_REDIS_URL` is unset (then each process keeps its own cache): the connection
 * from `TOKEN_CACHE_REDIS_*` (see {@link redisConnectionOptionsFromEnv}) and
 *
 * | variable | option | default |
 * | --- | --- | --- |
 * | `TOKEN_CACHE_KEY_PREFIX` | `keyPrefix` | `m2m:` |
 *
 * Throws an `EnvConfigError` naming the variable, never its value.
 *
 * @example
 * ```ts
 * const options = redisTokenCacheOptionsFromEnv(process.env);
 * const cache = options && new RedisTokenCacheStore(options);
 * ```
 */
export function redisTokenCacheOptionsFromEnv(
  env: NodeJS.ProcessEnv,
): RedisTokenCacheStoreOptions | undefined {
  const read = new EnvReader(env);
  const keyPrefix = keyPrefixFromEnv(read, 'TOKEN_CACHE_KEY_PREFIX');
  const connection = redisConnectionOptionsFromEnv(env, 'TOKEN_CACHE_REDIS');
  if (connection === undefined) {
    if (keyPrefix !== undefined) {
      read.fail(
        'TOKEN_CACHE_REDIS_URL',
        'TOKEN_CACHE_REDIS_URL is required when TOKEN_CACHE_KEY_PREFIX is set',
      );
    }
    return undefined;
  }
  return { ...connection, ...(keyPrefix !== undefined && { keyPrefix }) };
}

/**
 * A {@link RedisTokenCacheStore} from `TOKEN_CACHE_REDIS_*` and `TOKEN_CACHE_KEY_PREFIX`
 * (see {@link redisTokenCacheOptionsFromEnv}), or `undefined` when the URL is unset: pass
 * it as every client's `cache`.
 *
 * @example
 * ```ts
 * const cache = redisTokenCacheFromEnv(process.env);
 * M2MClientModule.register({ ...m2mClientOptionsFromEnv(process.env, 'inventory-api'), cache });
 * ```
 */
export function redisTokenCacheFromEnv(env: NodeJS.ProcessEnv): RedisTokenCacheStore | undefined {
  const options = redisTokenCacheOptionsFromEnv(env);
  return options && new RedisTokenCacheStore(options);
}
