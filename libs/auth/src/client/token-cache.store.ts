/** A token as kept in a {@link TokenCacheStore}. Times are epoch milliseconds. */
export interface CachedToken {
  accessToken: string;
  /** When the token stops being usable (its `expires_in` minus a small skew). */
  expiresAt: number;
  /** When a background refresh should start (by default 75% of the lifetime). */
  refreshAt: number;
}

/**
 * Where tokens are kept between calls. Asynchronous so that replicas of a service can
 * share one store (e.g. Redis); the default {@link MemoryTokenCacheStore} is per process.
 *
 * @example
 * ```ts
 * class RedisTokenCacheStore implements TokenCacheStore {
 *   async get(key: string) { const v = await redis.get(key); return v ? JSON.parse(v) : undefined; }
 *   async set(key: string, token: CachedToken, ttlMs: number) {
 *     await redis.set(key, JSON.stringify(token), 'PX', ttlMs);
 *   }
 *   async delete(key: string) { await redis.del(key); }
 * }
 * ```
 */
export interface TokenCacheStore {
  get(key: string): Promise<CachedToken | undefined>;
  /**
   * Optional synchronous read, for stores that hold entries in this process. When present,
   * a cached token is attached to an outgoing call without a promise hop; remote stores
   * (Redis, ...) leave it out and are read through `get`.
   */
  peek?(key: string): CachedToken | undefined;
  /** `ttlMs`: how long the entry is worth keeping (until the token expires). */
  set(key: string, token: CachedToken, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/**
 * The default {@link TokenCacheStore}: a map in this process.
 *
 * @example
 * ```ts
 * M2MClientModule.register({ ..., cache: new MemoryTokenCacheStore() });
 * ```
 */
export class MemoryTokenCacheStore implements TokenCacheStore {
  private readonly entries = new Map<string, CachedToken>();

  get(key: string): Promise<CachedToken | undefined> {
    return Promise.resolve(this.entries.get(key));
  }

  peek(key: string): CachedToken | undefined {
    return this.entries.get(key);
  }

  set(key: string, token: CachedToken): Promise<void> {
    this.entries.set(key, token);
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.entries.delete(key);
    return Promise.resolve();
  }
}

/**
 * The cache key of a token: token URL, client id and the sorted, de-duplicated scopes,
 * so `['b', 'a']` and `['a', 'b']` share a token. The secret is not part of it.
 *
 * @example
 * ```ts
 * tokenCacheKey('https://x/oauth2/token', 'caller', ['b', 'a']); // 'm2m:https://x/oauth2/token|caller|a b'
 * ```
 */
export function tokenCacheKey(tokenUrl: string, clientId: string, scopes: readonly string[]) {
  const sorted = [...new Set(scopes)].sort();
  return `m2m:${tokenUrl}|${clientId}|${sorted.join(' ')}`;
}
