import { EnvReader } from '../shared/env.js';
import type { RedisConnectionOptions } from './redis-connection.options.js';

/**
 * A Redis connection's options from `<prefix>_URL`, or `undefined` when it is unset (then the
 * feature using Redis is off). The one reader of Redis settings from the environment: the
 * token cache reads `TOKEN_CACHE_REDIS_URL` through it, the revocation list
 * `AUTH_REVOCATION_REDIS_URL`. It loads nothing but the library's own files (no node-redis,
 * no client), so a resource server can read its settings without loading the client's.
 *
 * Throws an `EnvConfigError` naming the variable, never its value (the URL may hold a
 * password).
 *
 * @example
 * ```ts
 * const options = redisConnectionOptionsFromEnv(process.env, 'AUTH_REVOCATION_REDIS');
 * const redis = options && new RedisConnection(options);
 * ```
 */
export function redisConnectionOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  prefix: string,
): RedisConnectionOptions | undefined {
  const read = new EnvReader(env);
  const variable = `${prefix}_URL`;
  const url = read.text(variable);
  if (url === undefined) return undefined;
  const protocol = URL.parse(url)?.protocol;
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    read.fail(variable, `${variable} must be a redis:// or rediss:// URL`);
  }
  return { url };
}
