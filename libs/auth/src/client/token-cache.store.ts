import { hash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { M2MClientMetrics } from './client.metrics.js';

/** A token as kept in a {@link TokenCacheEntry}. Times are epoch milliseconds. */
export interface CachedToken {
  accessToken: string;
  /** When the token stops being usable (its `expires_in` minus a small skew). */
  expiresAt: number;
  /** When a background refresh should start (by default 75% of the lifetime). */
  refreshAt: number;
}

/** What a token is for: every provider acquiring the same key shares one entry. */
export interface TokenCacheKey {
  tokenUrl: string;
  clientId: string;
  /** Sorted and de-duplicated. */
  scopes: readonly string[];
  /**
   * Part of the key (another secret is another credential: it never gets this one's token or
   * error) and what a shared store derives its encryption key from. Never stored.
   */
  clientSecret: string;
}

/**
 * Where tokens live between calls: an injectable object that hands out one
 * {@link TokenCacheEntry} per key, shared by every provider that acquires it. The default
 * {@link MemoryTokenCacheStore} keeps them in this process; a store shared by replicas
 * (Redis, ...) extends it and returns entries that extend `TokenCacheEntry`.
 */
export interface TokenCacheStore {
  /**
   * The entry for `key`, created on first use; pair each call with one `entry.release()`.
   * `metrics`: the acquiring client's series, where a store records its own (shared look-ups).
   */
  acquire(key: TokenCacheKey, metrics?: M2MClientMetrics): TokenCacheEntry;
}

/**
 * Why a token is being fetched, so a shared store can decide whether to wait for another
 * replica's request: `miss` (no valid token here), `ahead` (a refresh ahead of expiry: the
 * current token keeps serving), `rejected` (the downstream answered 401 to `rejected`).
 */
export type RefreshIntent =
  { reason: 'miss' } | { reason: 'ahead' } | { reason: 'rejected'; rejected: string };

/** Who reports a store's failures (a test passes a collecting one). */
export type TokenCacheLogger = Pick<Logger, 'warn' | 'log'>;

/**
 * Everything the providers of one key share: the token, the request in flight (single
 * flight), the OAuth error being remembered, and when background refreshes may start again.
 * The request runs on the entry's own abort signal, aborted only when the last provider
 * releases the entry: closing one provider never fails another's call.
 *
 * A store shared by replicas extends it through three hooks: {@link load} (read the shared
 * copy), {@link save} (write it) and {@link fetchOnce} (run the request once across
 * replicas, e.g. under a lease). Their failures never fail a call: the entry logs one
 * warning per outage and keeps serving its in-process copy.
 *
 * @example
 * ```ts
 * class SharedEntry extends TokenCacheEntry {
 *   protected override load() { return sharedCache.get(this.key); }
 *   protected override save(token: CachedToken) { return sharedCache.set(this.key, token); }
 * }
 * class SharedStore extends MemoryTokenCacheStore {
 *   protected override create(key: TokenCacheKey, onIdle: () => void) {
 *     return new SharedEntry(key, onIdle);
 *   }
 * }
 * ```
 */
export class TokenCacheEntry {
  private token: CachedToken | undefined;
  private inflight: Promise<CachedToken> | undefined;
  private error: { error: Error; until: number } | undefined;
  private pausedUntil = 0;
  private forced: { accessToken: string; cooledDown: boolean } | undefined;
  private cooldownUntil = 0;
  private refs = 0;
  private failing = false;
  private readonly abort = new AbortController();

  constructor(
    readonly key: TokenCacheKey,
    private readonly onIdle: () => void = () => undefined,
    private readonly logger: TokenCacheLogger = new Logger('TokenCache'),
  ) {}

  /** Counts one more provider (called by the store). */
  retain(): this {
    this.refs += 1;
    return this;
  }

  /** One provider is done with the entry; the last one aborts its request and drops it. */
  release(): void {
    this.refs -= 1;
    if (this.refs > 0) return;
    this.abort.abort();
    this.onIdle();
  }

  /** The token this process holds, without I/O (it may have expired: callers check). */
  peek(): CachedToken | undefined {
    return this.token;
  }

  /** The newest token of this process and of the shared copy, if any. */
  async read(): Promise<CachedToken | undefined> {
    try {
      this.adopt(await this.load());
      this.recovered();
    } catch (error) {
      this.failed('read', error);
    }
    return this.token;
  }

  /** True while a request is in flight. */
  get refreshing(): boolean {
    return this.inflight !== undefined;
  }

  /**
   * The token `fetch` gets, stored; or, while one is in flight, that request's (single flight).
   * `fetch` runs on the entry's signal.
   */
  refresh(
    fetch: (signal: AbortSignal) => Promise<CachedToken>,
    intent: RefreshIntent = { reason: 'miss' },
  ): Promise<CachedToken> {
    this.inflight ??= this.fetchOnce(() => fetch(this.abort.signal), intent, this.abort.signal)
      .then(async (token) => {
        this.token = token;
        this.error = undefined;
        try {
          await this.save(token);
          this.recovered();
        } catch (error) {
          this.failed('write', error);
        }
        return token;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  /** Remembers an OAuth error until `until`: meanwhile {@link rememberedError} returns it. */
  remember(error: Error, until: number): void {
    this.error = { error, until };
  }

  rememberedError(now: number): Error | undefined {
    return this.error && now < this.error.until ? this.error.error : undefined;
  }

  /** No background refresh before `until` (after a failed one). */
  pauseRefresh(until: number): void {
    this.pausedUntil = until;
  }

  refreshPaused(now: number): boolean {
    return now < this.pausedUntil;
  }

  /** `token` is what a forced refresh (after a 401) produced. */
  markForced(token: CachedToken): void {
    if (this.forced?.accessToken !== token.accessToken) {
      this.forced = { accessToken: token.accessToken, cooledDown: false };
    }
  }

  /**
   * Whether a forced refresh because `rejected` was refused must wait: during a cooldown,
   * and when `rejected` is itself the product of a forced refresh (then a cooldown until
   * `until` starts, once per such token: `started` is true for the call that started it).
   */
  refusesForcedRefresh(
    rejected: string,
    now: number,
    until: number,
  ): { refused: boolean; started: boolean } {
    if (now < this.cooldownUntil) return { refused: true, started: false };
    if (this.forced?.accessToken !== rejected || this.forced.cooledDown) {
      return { refused: false, started: false };
    }
    this.forced.cooledDown = true;
    this.cooldownUntil = until;
    return { refused: true, started: true };
  }

  /**
   * How the store behind this entry is doing, for readiness detail (`undefined`: nothing to
   * say, as for the in-process store).
   */
  storeStatus(): string | undefined {
    return undefined;
  }

  /** Reads the shared copy. The in-process entry has none. */
  protected load(): Promise<CachedToken | undefined> {
    return Promise.resolve(undefined);
  }

  /** Writes the shared copy (ttl: until `token.expiresAt`). The in-process entry has none. */
  protected save(_token: CachedToken): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Runs the token request. A shared store runs it once across replicas and may answer
   * with the token another replica stored instead of calling `run`; `intent` says whether
   * waiting for another replica is worth it, `signal` aborts when the entry is dropped.
   */
  protected fetchOnce(
    run: () => Promise<CachedToken>,
    _intent: RefreshIntent,
    _signal: AbortSignal,
  ): Promise<CachedToken> {
    return run();
  }

  /** A token read from the shared copy replaces this process's when it lasts longer. */
  private adopt(token: CachedToken | undefined): void {
    if (token && (!this.token || token.expiresAt > this.token.expiresAt)) this.token = token;
  }

  /** One warning per outage, not one per call. */
  private failed(what: 'read' | 'write', error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    const name = error instanceof Error ? error.name : typeof error;
    this.logger.warn(
      `Token cache store failed to ${what} for client "${this.key.clientId}" (${name}); ` +
        'serving the token held in this process',
    );
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.log(`Token cache store serves client "${this.key.clientId}" again`);
  }
}

/**
 * A {@link TokenCacheStore} in this process. {@link MemoryTokenCacheStore.processDefault}
 * is the one every provider uses unless given another, so registrations with the same
 * token URL, client, secret and scopes share one token and one request across the process
 * (apps in one process included); a store of your own scopes sharing to whoever gets it.
 *
 * @example
 * ```ts
 * M2MClientModule.register({ ..., cache: new MemoryTokenCacheStore() }); // shares with nobody else
 * ```
 */
export class MemoryTokenCacheStore implements TokenCacheStore {
  /**
   * The process's default store: the one object that makes the default sharing
   * process-wide. It holds no state of its own beyond its entries, each dropped when the
   * last provider of its key closes.
   */
  static readonly processDefault = new MemoryTokenCacheStore();

  private readonly entries = new Map<string, TokenCacheEntry>();

  constructor(protected readonly logger?: TokenCacheLogger) {}

  acquire(key: TokenCacheKey, metrics: M2MClientMetrics = {}): TokenCacheEntry {
    const id = `${tokenCacheKey(key.tokenUrl, key.clientId, key.scopes)}|${secretDigest(key.clientSecret)}`;
    let entry = this.entries.get(id);
    if (!entry) {
      entry = this.create(key, () => this.entries.delete(id), metrics);
      this.entries.set(id, entry);
    }
    return entry.retain();
  }

  /** Makes the entry of a new key; `onIdle` drops it from the store. */
  protected create(
    key: TokenCacheKey,
    onIdle: () => void,
    _metrics: M2MClientMetrics,
  ): TokenCacheEntry {
    return new TokenCacheEntry(key, onIdle, this.logger);
  }
}

/** A short digest of a secret, to tell credentials apart without keeping them. */
function secretDigest(secret: string): string {
  return hash('sha256', secret, 'base64url').slice(0, 22);
}

/**
 * The public cache key of a token: token URL, client id and the sorted, de-duplicated
 * scopes, so `['b', 'a']` and `['a', 'b']` share a token. The secret is not part of it.
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
