import { numberOption } from '../shared/number-option.js';
import { M2MClientConfigError } from './client.errors.js';

/**
 * Where the replicas of a fleet share their tokens: a key-value store with expiry, which a
 * client reads when its own process has no valid token and writes after each token request.
 * Between those, a client serves from its own process: a hit never asks the store.
 *
 * The client gives a store opaque strings only. `key` is a name derived from the token
 * source, the client id, the scopes and the client secret (none of them readable in it), and
 * `value` is the token sealed with AES-256-GCM under a key derived from the secret: a store
 * never holds a secret or a readable token, and a replica with a wrong secret names other
 * entries. A store that keeps more than one key per entry (a lease beside it) keeps them
 * together: `key` is safe inside a Redis Cluster hash tag, `{key}`.
 *
 * Each operation settles within the store's own deadline and reports a failure by throwing
 * (a {@link SharedCacheUnavailableError} names the reason in logs; any other error is named
 * by its class). A failure never fails a call: the client serves from its own process, fetches
 * for itself when it must, and logs one warning per outage.
 *
 * `lease` is optional: with it, one replica fetches while the others wait for its token
 * (one token request per client per lifetime across the fleet); without it, replicas that
 * miss at the same moment each fetch, and share from then on.
 *
 * @example
 * ```ts
 * class DynamoTokenCacheStore implements TokenCacheStore {
 *   readonly name = 'DynamoDB';
 *   async get(key: string) { return (await table.getItem(key))?.value; }
 *   async set(key: string, value: string, ttlMs: number) { await table.putItem(key, value, ttlMs); }
 * }
 * M2MClientModule.register({ ..., cache: new DynamoTokenCacheStore() });
 * ```
 */
export interface TokenCacheStore {
  /** Names the store in logs and readiness detail, e.g. `Redis`. */
  readonly name: string;
  /** The value stored under `key`, or `undefined` when there is none (or it has expired). */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` under `key` for `ttlMs` milliseconds, replacing what was there. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Present on a store that can make replicas take turns ("fetch once across replicas"). */
  readonly lease?: TokenCacheLease;
  /**
   * Called when the last client using the store in this process closes: release connections
   * and timers. A client created later may use the store again.
   */
  close?(): void;
}

/**
 * A lease per entry, held by one replica while it fetches the entry's token. The client runs
 * the algorithm: it looks at the entry, takes the lease when there is none to use, keeps it
 * while its request runs (`acquire` again every third of `leaseMs`), writes the token and
 * releases it; the others look again at jittered intervals and read what it wrote. A store
 * provides two atomic steps, and may tune the waits.
 *
 * @example
 * ```ts
 * // Redis: SET lease owner NX PX ms, or PEXPIRE when owner holds it; else PTTL. Release: compare and delete.
 * readonly lease = { acquire: (key, owner, ms) => evalScript(ACQUIRE, key, owner, ms), release: ... };
 * ```
 */
export interface TokenCacheLease {
  /**
   * Takes the lease of `key` for `owner` for `ms` if nobody holds it, or extends it if
   * `owner` does: resolves 0. Held by another owner: resolves how many milliseconds it has
   * left (more than 0).
   */
  acquire(key: string, owner: string, ms: number): Promise<number>;
  /** Drops the lease of `key` if `owner` holds it. */
  release(key: string, owner: string): Promise<void>;
  /** How long a lease lasts unless its owner extends it (it does while it fetches). Default 3,000 ms. */
  readonly leaseMs?: number;
  /** First wait between two looks at a held lease; doubles up to 8x, jittered. Default 25 ms. */
  readonly pollMs?: number;
  /**
   * The longest a replica waits for another's token request before it sends its own.
   * Default 15,000 ms: longer than a token request's default retry budget (10 s).
   */
  readonly waitMs?: number;
  /**
   * Each replica refreshes ahead of expiry at its own point, up to this much after the
   * token's refresh point (and within the first half of the time left), so replicas do not
   * race at one instant; the first refreshes for the fleet. Default 5,000 ms.
   */
  readonly refreshSpreadMs?: number;
}

/**
 * A {@link TokenCacheStore} in this process's memory, at most `maxEntries` entries (the
 * expired, then the oldest, make room). Clients given the same instance share tokens, one
 * request in flight and remembered errors; clients given another instance, or none, do not
 * share with them. Without `cache`, the clients of a process share through no store at all.
 *
 * @example
 * ```ts
 * const cache = new MemoryTokenCacheStore();
 * M2MClientModule.register({ name: 'read', ..., cache });
 * M2MClientModule.register({ name: 'write', ..., cache });
 * ```
 */
export class MemoryTokenCacheStore implements TokenCacheStore {
  readonly name = 'memory';
  private readonly entries = new Map<string, { value: string; until: number }>();
  private readonly maxEntries: number;

  constructor(options: { maxEntries?: number } = {}) {
    this.maxEntries = numberOption(
      'maxEntries',
      options.maxEntries,
      1_000,
      { min: 1, integer: true },
      (name, why) => {
        throw new M2MClientConfigError(name, why);
      },
    );
  }

  get(key: string): Promise<string | undefined> {
    const entry = this.entries.get(key);
    if (entry === undefined) return Promise.resolve(undefined);
    if (Date.now() < entry.until) return Promise.resolve(entry.value);
    this.entries.delete(key);
    return Promise.resolve(undefined);
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const now = Date.now();
      for (const [name, entry] of this.entries) if (now >= entry.until) this.entries.delete(name);
      // Insertion order: the first is the oldest.
      for (const name of this.entries.keys()) {
        if (this.entries.size < this.maxEntries) break;
        this.entries.delete(name);
      }
    }
    this.entries.set(key, { value, until: Date.now() + ttlMs });
    return Promise.resolve();
  }
}
