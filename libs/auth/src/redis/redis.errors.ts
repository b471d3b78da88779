import { LibraryError } from '../shared/errors.js';

/**
 * A Redis connection option is missing or invalid (a URL that is not `redis://` or
 * `rediss://`, a CA file that holds no certificate, Sentinel without a master name, ...).
 * Thrown at construction, before anything connects; `option` names the option, and the
 * message never quotes a URL (it may hold a password) or a file's content.
 *
 * @example
 * ```ts
 * try { new RedisConnection({ url: 'redis://a:6379,redis://b:6379' }); } catch (e) {
 *   if (e instanceof RedisConfigError) console.error(`fix ${e.option}`); // url: one URL unless cluster or sentinel
 * }
 * ```
 */
export class RedisConfigError extends LibraryError {
  readonly code = 'invalid_options';

  constructor(
    /** The option at fault, e.g. `url`, `mode`, `caFile`. */
    readonly option: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Redis did not answer a command in time, refused it, or could not be reached at all. Thrown
 * by `RedisConnection.send` (and never anything else), so a caller can fall back: the token
 * cache serves from its own process. `reason` is an identifier (`ECONNREFUSED`, `TIMEOUT`,
 * `WRONGPASS`, `SELF_SIGNED_CERT_IN_CHAIN`, `CLUSTERDOWN`, ...), never a message that could
 * carry a URL or a password; `cause` is the client's error.
 *
 * @example
 * ```ts
 * try { await redis.send(['GET', key], { key }); } catch (e) {
 *   if (e instanceof RedisUnavailableError) metrics.redisDown.inc({ reason: e.reason });
 * }
 * ```
 */
export class RedisUnavailableError extends LibraryError {
  readonly code = 'redis_unavailable';

  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`Redis is unavailable (${reason})`, options);
  }
}
