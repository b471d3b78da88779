import {
  SharedCacheUnavailableError,
  type TokenCacheLease,
  type TokenCacheStore,
} from '../client/index.js';
import { RedisConnection } from './redis-connection.js';
import type { RedisConnectionOptions } from './redis-connection.options.js';
import { RedisUnavailableError } from './redis.errors.js';

/** Where the shared cache lives (any topology, see {@link RedisConnectionOptions}), and its keys. */
export interface RedisTokenCacheOptions extends RedisConnectionOptions {
  /** Prepended to every key, so several fleets can share one Redis. Default `m2m:`. */
  keyPrefix?: string;
}

/** The Redis connection, and how replicas take turns through it (see `TokenCacheLease`). */
export interface RedisTokenCacheStoreOptions
  extends
    RedisTokenCacheOptions,
    Pick<TokenCacheLease, 'leaseMs' | 'waitMs' | 'pollMs' | 'refreshSpreadMs'> {}

// KEYS[1] entry. pcall: a key of another type (someone else's data) is a miss, not an error.
const GET = `
local v = redis.pcall('GET', KEYS[1])
if type(v) == 'string' then return v end
return false`;

// KEYS[1] entry; ARGV[1] value, ARGV[2] ttl ms. SET overwrites a key of another type.
const SET = `return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])`;

// KEYS[1] lease; ARGV[1] owner, ARGV[2] lease ms. 0: owner holds it now (taken, or extended
// as its holder); else the ms another holder has left.
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 0
end
return math.max(redis.call('PTTL', KEYS[1]), 1)`;

// KEYS[1] lease; ARGV[1] owner.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * A {@link TokenCacheStore} shared by the replicas of a fleet through Redis: one token
 * request per (token URL, client, scope set) per token lifetime across all of them.
 *
 * - A hit costs no Redis round trip: each process keeps its copy until shortly before
 *   expiry and reads Redis only when it has no valid token.
 * - With no valid token anywhere, one replica fetches under a lease (`SET NX PX`, extended
 *   by its owner while its request runs, released by its owner only) and the others wait
 *   for it and read its token (bounded: past `waitMs` they fetch themselves); the refresh
 *   ahead of expiry is leased the same way, at jittered points.
 * - Entries are sealed by the client with keys derived from each client's secret: readers of
 *   Redis without the secret, and replicas with a wrong or rotated one, cannot use them. The
 *   keys of one entry share a hash tag (`m2m:{name}:token`, `m2m:{name}:lease`).
 * - Every command is bounded by `commandTimeoutMs`. Unavailable, slow or wrong (a wrong
 *   password or CA included), Redis never fails a call: commands fail fast with
 *   {@link SharedCacheUnavailableError} (tried again once per `probeIntervalMs`), and each
 *   process falls back to its own cache and single flight (one request per replica at
 *   most), logs one warning per outage, and shares again once Redis answers.
 *
 * A single node, Redis Cluster (ElastiCache Serverless) or Sentinel, over TLS and with an
 * ACL user or not: the connection is a {@link RedisConnection}, opened by the first command
 * and closed by the last client using the store.
 *
 * @example
 * ```ts
 * const cache = new RedisTokenCacheStore({
 *   url: 'rediss://m2m-cache:secret@my-cache-abc123.serverless.use1.cache.amazonaws.com:6379',
 *   mode: 'cluster',
 * });
 * M2MClientModule.register({ name: 'weather-read', ..., cache });
 * M2MClientModule.register({ name: 'weather-write', ..., cache });
 * ```
 */
export class RedisTokenCacheStore implements TokenCacheStore {
  readonly name = 'Redis';
  readonly lease: TokenCacheLease;
  private readonly prefix: string;
  private readonly connection: RedisConnection;

  constructor(options: RedisTokenCacheStoreOptions) {
    this.connection = new RedisConnection(options);
    this.prefix = options.keyPrefix ?? 'm2m:';
    const { leaseMs, waitMs, pollMs, refreshSpreadMs } = options;
    this.lease = {
      acquire: async (key, owner, ms) =>
        Number(await this.run(ACQUIRE, this.leaseKey(key), [owner, String(Math.ceil(ms))])),
      release: async (key, owner) => {
        await this.run(RELEASE, this.leaseKey(key), [owner]);
      },
      leaseMs,
      waitMs,
      pollMs,
      refreshSpreadMs,
    };
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.run(GET, this.entryKey(key), []);
    return typeof value === 'string' ? value : undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.run(SET, this.entryKey(key), [value, String(Math.max(1, Math.floor(ttlMs)))]);
  }

  /** Closes the connection; a later command opens a new one. */
  close(): void {
    this.connection.close();
  }

  // One hash tag: both keys of an entry in one slot, as a Redis Cluster needs.
  private entryKey(key: string) {
    return `${this.prefix}{${key}}:token`;
  }

  private leaseKey(key: string) {
    return `${this.prefix}{${key}}:lease`;
  }

  /** Runs one script on one key, as the store's one kind of failure. */
  private async run(script: string, key: string, args: string[]): Promise<unknown> {
    try {
      return await this.connection.send(['EVAL', script, '1', key, ...args], { key });
    } catch (error) {
      const reason = error instanceof RedisUnavailableError ? error.reason : 'ERROR';
      throw new SharedCacheUnavailableError(reason, { cause: error });
    }
  }
}
