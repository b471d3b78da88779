import { M2MClientConfigError } from '../client/client.errors.js';
import type { M2MClientMetrics } from '../client/client.metrics.js';
import {
  type CachedToken,
  MemoryTokenCacheStore,
  type RefreshIntent,
  TokenCacheEntry,
  type TokenCacheKey,
  type TokenCacheLogger,
} from '../client/token-cache.store.js';
import { abortableSleep } from '../client/backoff.js';
import { jitteredRefreshAt, leasedFetch, type LeaseOptions } from './lease.js';
import {
  RedisTokenCache,
  type RedisTokenCacheOptions,
  type RedisTokenEntry,
  SharedCacheUnavailableError,
  type SharedCacheStatus,
} from './redis-token-cache.js';
import { numberOption } from '../shared/number-option.js';

/** The Redis connection, the lease and how long replicas wait for each other. */
export interface RedisTokenCacheStoreOptions extends RedisTokenCacheOptions {
  /** How long a lease lasts unless its owner renews it (it does while it fetches). Default 3,000 ms. */
  leaseMs?: number;
  /**
   * The longest a replica waits for another's token request before it sends its own.
   * Default 15,000 ms: longer than a token request's default retry budget (10 s).
   */
  waitMs?: number;
  /** First wait between two looks at a held lease (doubling to 8x, jittered). Default 25 ms. */
  pollMs?: number;
  /**
   * Each replica refreshes ahead of expiry at its own point, up to this much after the
   * token's refresh point (and within the first half of the time left), so replicas do not
   * race at the same instant; the first one refreshes for the fleet. Default 5,000 ms.
   */
  refreshSpreadMs?: number;
}

/** Collaborators a test may replace. */
export interface RedisTokenCacheStoreDeps {
  logger?: TokenCacheLogger;
  random?: () => number;
}

const OUTCOME = { leased: 'acquired', shared: 'waited', fallback: 'fallback' } as const;
const QUIET: TokenCacheLogger = { warn: () => undefined, log: () => undefined };

function atLeast(min: number, name: string, value: number | undefined, fallback: number) {
  return numberOption(name, value, fallback, { min }, (option, why) => {
    throw new M2MClientConfigError(option, why);
  });
}

/**
 * A {@link TokenCacheStore} shared by the replicas of a fleet through Redis: one token
 * request per (token URL, client, scope set) per token lifetime across all of them.
 *
 * - A hit costs no Redis round trip: each process keeps its copy until shortly before
 *   expiry and reads Redis only when it has no valid token.
 * - With no valid token anywhere, one replica fetches under a lease and the others wait for
 *   it and read its token (bounded: past `waitMs` they fetch themselves); the refresh ahead
 *   of expiry is leased the same way, at jittered points.
 * - Entries are sealed with keys derived from each client's secret: readers of Redis
 *   without the secret, and replicas with a wrong or rotated one, cannot use them.
 * - Redis unavailable, slow or wrong never fails a call: each process falls back to its
 *   own cache and single flight (one request per replica at most), logs one warning per
 *   outage, and shares again once Redis answers.
 *
 * The connection opens with the first provider and closes with the last one.
 *
 * @example
 * ```ts
 * const cache = new RedisTokenCacheStore({ url: 'redis://redis:6379' });
 * M2MClientModule.register({ name: 'weather-read', ..., cache });
 * M2MClientModule.register({ name: 'weather-write', ..., cache });
 * ```
 */
export class RedisTokenCacheStore extends MemoryTokenCacheStore {
  private readonly options: RedisTokenCacheStoreOptions;
  private readonly settings: EntrySettings;
  private readonly redisLogger: TokenCacheLogger | undefined;
  private connection: RedisTokenCache | undefined;
  private users = 0;

  constructor(options: RedisTokenCacheStoreOptions, deps: RedisTokenCacheStoreDeps = {}) {
    // The entries stay quiet: the connection warns once per outage for every client.
    super(QUIET);
    // Checked now (start-up), not when the first provider connects.
    RedisTokenCache.check(options);
    this.options = options;
    this.settings = {
      lease: {
        leaseMs: atLeast(10, 'leaseMs', options.leaseMs, 3_000),
        pollMs: atLeast(1, 'pollMs', options.pollMs, 25),
      },
      waitMs: atLeast(0, 'waitMs', options.waitMs, 15_000),
      spreadMs: atLeast(0, 'refreshSpreadMs', options.refreshSpreadMs, 5_000),
      random: deps.random ?? Math.random,
      status: () => this.connection?.status(),
    };
    this.redisLogger = deps.logger;
  }

  /** Whether Redis answers, for readiness detail (`undefined` before any client uses it). */
  status(): SharedCacheStatus | undefined {
    return this.connection?.status();
  }

  protected override create(
    key: TokenCacheKey,
    onIdle: () => void,
    metrics: M2MClientMetrics,
  ): TokenCacheEntry {
    this.connection ??= new RedisTokenCache(this.options, { logger: this.redisLogger });
    this.users += 1;
    const connection = this.connection;
    return new RedisCacheEntry(key, connection.entry(key), this.settings, metrics, () => {
      onIdle();
      this.users -= 1;
      if (this.users === 0 && this.connection === connection) {
        this.connection = undefined;
        connection.close();
      }
    });
  }
}

/** What every entry of a store shares. */
interface EntrySettings {
  lease: LeaseOptions;
  waitMs: number;
  spreadMs: number;
  random: () => number;
  status: () => SharedCacheStatus | undefined;
}

/** One client's entry: this process's copy, backed by the shared one in Redis. */
class RedisCacheEntry extends TokenCacheEntry {
  /** The raw value Redis holds for the token this process has, when it is known. */
  private stored: { accessToken: string; raw: string } | undefined;
  private readonly labels: Record<
    'hit' | 'miss' | 'unavailable',
    { client_id: string; result: string }
  >;

  constructor(
    key: TokenCacheKey,
    private readonly shared: RedisTokenEntry,
    private readonly settings: EntrySettings,
    private readonly metrics: M2MClientMetrics,
    onIdle: () => void,
  ) {
    super(key, onIdle, QUIET);
    const label = (result: string) => ({ client_id: key.clientId, result });
    this.labels = { hit: label('hit'), miss: label('miss'), unavailable: label('unavailable') };
  }

  override storeStatus(): string {
    const status = this.settings.status();
    if (!status || status.available) return 'redis: shared';
    return (
      `redis: unavailable since ${new Date(status.since).toISOString()} (${status.reason}); ` +
      'this replica uses its own cache'
    );
  }

  /** The token as this replica keeps it: its own refresh point, spread from the others'. */
  private localize(token: CachedToken): CachedToken {
    const { random, spreadMs } = this.settings;
    const jittered = jitteredRefreshAt(token, random);
    return { ...token, refreshAt: Math.min(jittered, token.refreshAt + spreadMs) };
  }

  private observe(result: 'hit' | 'miss' | 'unavailable') {
    const { metrics } = this;
    const { status } = this.settings;
    metrics.sharedCache?.inc(this.labels[result]);
    metrics.sharedCacheAvailable?.set(status()?.available === false ? 0 : 1);
  }

  protected override async load(): Promise<CachedToken | undefined> {
    let read: Awaited<ReturnType<RedisTokenEntry['read']>>;
    try {
      read = await this.shared.read();
    } catch (error) {
      this.observe('unavailable');
      throw error;
    }
    if (!read.token || Date.now() >= read.token.expiresAt) {
      this.observe('miss');
      return undefined;
    }
    this.observe('hit');
    this.stored = { accessToken: read.token.accessToken, raw: read.raw };
    return this.localize(read.token);
  }

  protected override async save(token: CachedToken): Promise<void> {
    // fetchOnce stored it (or read it from Redis) already.
    if (this.stored?.accessToken === token.accessToken) return;
    const raw = await this.shared.storeAndRelease(token, token.expiresAt - Date.now(), '');
    this.stored = { accessToken: token.accessToken, raw };
  }

  protected override async fetchOnce(
    run: () => Promise<CachedToken>,
    intent: RefreshIntent,
    signal: AbortSignal,
  ): Promise<CachedToken> {
    const { lease, waitMs } = this.settings;
    const { metrics } = this;
    const current = this.peek();
    const ahead = intent.reason === 'ahead' && current !== undefined;
    const rejected = intent.reason === 'rejected' ? intent.rejected : undefined;
    const known = this.stored?.accessToken === current?.accessToken ? this.stored?.raw : undefined;
    let result;
    try {
      result = await leasedFetch(
        this.shared,
        run,
        {
          known,
          // Ahead of expiry only a newer token helps; after a 401, any other valid one.
          unwanted: (t) =>
            t.accessToken === rejected || (ahead && t.expiresAt <= current.expiresAt),
          waitMs: ahead ? 0 : waitMs,
          signal,
        },
        lease,
        { now: () => Date.now(), sleep: abortableSleep, random: this.settings.random },
      );
    } catch (error) {
      if (!(error instanceof SharedCacheUnavailableError)) throw error;
      // Redis down: this process's own single flight (the entry's request in flight).
      this.observe('unavailable');
      metrics.sharedLease?.inc({ client_id: this.key.clientId, outcome: 'fallback' });
      return run();
    }
    if (!result) {
      // Another replica is refreshing: keep serving, look again a little later.
      this.pauseRefresh(Date.now() + lease.pollMs * 8);
      return current!;
    }
    if (result.source === 'shared' && !result.waited) {
      this.observe('hit');
    } else {
      this.observe('miss');
      metrics.sharedLease?.inc({ client_id: this.key.clientId, outcome: OUTCOME[result.source] });
    }
    if (result.raw !== undefined) {
      this.stored = { accessToken: result.token.accessToken, raw: result.raw };
    }
    return this.localize(result.token);
  }
}
