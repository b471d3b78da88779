import { randomUUID } from 'node:crypto';
import type { CachedToken } from '../client/token-cache.store.js';
import type { Runtime } from '../client/token-endpoint.js';

/** One round trip to the shared store: the entry, or the lease, or who holds it. */
export type LeaseRead =
  /** `token` is undefined when the stored value does not open (corrupt, other secret). */
  | { kind: 'entry'; raw: string; token: CachedToken | undefined }
  | { kind: 'leased' }
  | { kind: 'held'; remainingMs: number };

/** What the lease needs from a shared store, for one entry. */
export interface LeaseBackend {
  /**
   * The stored entry unless its raw value is `known` (one the caller already has and wants
   * replaced); otherwise takes the entry's lease for `owner` for `leaseMs` if it is free
   * (`SET NX PX`); otherwise how long the current holder still has it.
   */
  readOrLease(known: string | undefined, owner: string, leaseMs: number): Promise<LeaseRead>;
  /** Stores `token` for `ttlMs` and drops `owner`'s lease (only if still owner's); the raw value. */
  storeAndRelease(token: CachedToken, ttlMs: number, owner: string): Promise<string>;
  /** Drops the lease if `owner` still holds it. */
  release(owner: string): Promise<void>;
  /** Extends `owner`'s lease to `leaseMs` from now; false when someone else holds it now. */
  renew(owner: string, leaseMs: number): Promise<boolean>;
}

export interface LeaseOptions {
  /** How long a lease lasts unless its owner renews it (every third of it while fetching). */
  leaseMs: number;
  /** First wait between two looks at a held lease; doubles up to 8x, jittered. */
  pollMs: number;
}

export interface LeasedRequest {
  /** The raw value of the entry the caller has and wants replaced (refresh, 401). */
  known?: string;
  /** An entry the caller cannot use (the token a downstream just rejected); also a miss. */
  unwanted?: (token: CachedToken) => boolean;
  /**
   * How long to wait for another replica's fetch before fetching anyway (owner dead, stuck
   * or slower than this). 0: do not wait at all; `undefined` comes back while it is held
   * (a background refresh: the current token keeps serving, and this replica looks later).
   */
  waitMs: number;
  signal: AbortSignal;
}

/** How a token was had: from the store, fetched under the lease, or fetched without it. */
export type LeasedSource = 'shared' | 'leased' | 'fallback';

export interface LeasedResult {
  token: CachedToken;
  /** The raw stored value, when the token is in the store (pass it as `known` later). */
  raw?: string;
  source: LeasedSource;
  /** Whether this call waited for another replica's lease. */
  waited: boolean;
  /** Storing the fetched token failed: the token is good, the store is not. */
  storeError?: unknown;
}

/**
 * The wait before the `attempt`-th look at a held lease (0 for the first): "equal jitter",
 * uniform in [w/2, w) with w = pollMs * 2^attempt up to pollMs * 8, so replicas waiting on
 * one lease do not poll in step.
 */
export function pollDelay(attempt: number, pollMs: number, random: () => number): number {
  const window = pollMs * 2 ** Math.min(attempt, 3);
  return window / 2 + random() * (window / 2);
}

/**
 * When this replica refreshes `token` ahead of expiry: a uniform point in the first
 * `spread` of the time between its `refreshAt` and `expiresAt`. Replicas that read the same
 * entry so reach it at different moments, and the first to do so refreshes for the fleet
 * (the others find the new entry), all well before the token expires.
 */
export function jitteredRefreshAt(token: CachedToken, random: () => number, spread = 0.5): number {
  const room = Math.max(0, token.expiresAt - token.refreshAt);
  return token.refreshAt + Math.floor(random() * spread * room);
}

/**
 * Cross-replica single flight on a shared store: the entry when it is there and usable;
 * otherwise one replica takes the lease, fetches and stores, while the others look again
 * (jittered, bounded by `waitMs`) and read what it stored. The owner renews the lease while
 * it fetches, so a live owner keeps it however slow its issuer, and a dead one loses it
 * within `leaseMs`: the next replica to look takes it over. Past `waitMs` a waiter fetches
 * itself ('fallback'), so a stuck store or owner costs a replica at most one request.
 *
 * Store errors propagate: the caller falls back to its in-process single flight.
 */
export async function leasedFetch(
  backend: LeaseBackend,
  fetchToken: () => Promise<CachedToken>,
  request: LeasedRequest,
  options: LeaseOptions,
  runtime: Runtime,
): Promise<LeasedResult | undefined> {
  const owner = randomUUID();
  const deadline = runtime.now() + request.waitMs;
  let known = request.known;
  let waited = false;
  for (let attempt = 0; ;) {
    if (request.signal.aborted) throw request.signal.reason;
    const read = await backend.readOrLease(known, owner, options.leaseMs);
    if (read.kind === 'entry') {
      const token = read.token;
      if (
        token !== undefined &&
        runtime.now() < token.expiresAt &&
        !(request.unwanted?.(token) ?? false)
      ) {
        return { token, raw: read.raw, source: 'shared', waited };
      }
      // Corrupt, another secret's, expired by our clock, or the one being replaced: a miss.
      known = read.raw;
      continue;
    }
    if (read.kind === 'leased') {
      return { ...(await fetchAsOwner(backend, fetchToken, owner, options, runtime)), waited };
    }
    if (request.waitMs === 0) return undefined;
    const left = deadline - runtime.now();
    if (left <= 0) {
      return {
        ...(await store(backend, await fetchToken(), owner, runtime)),
        source: 'fallback',
        waited,
      };
    }
    waited = true;
    const delay = Math.min(left, read.remainingMs > 0 ? read.remainingMs : Infinity);
    await runtime.sleep(
      Math.min(delay, pollDelay(attempt, options.pollMs, runtime.random)),
      request.signal,
    );
    attempt += 1;
  }
}

async function fetchAsOwner(
  backend: LeaseBackend,
  fetchToken: () => Promise<CachedToken>,
  owner: string,
  options: LeaseOptions,
  runtime: Runtime,
): Promise<Omit<LeasedResult, 'waited'>> {
  const done = new AbortController();
  const renewing = (async () => {
    while (!done.signal.aborted) {
      await runtime.sleep(options.leaseMs / 3, done.signal);
      if (done.signal.aborted) return;
      // A lost lease (stalled past leaseMs, store hiccup) only means another replica may
      // fetch too; this fetch goes on.
      const kept = await backend.renew(owner, options.leaseMs).catch(() => false);
      if (!kept) return;
    }
  })();
  let token: CachedToken;
  try {
    token = await fetchToken();
  } catch (error) {
    done.abort();
    await renewing;
    // The next replica to look takes the lease and tries itself.
    await backend.release(owner).catch(() => undefined);
    throw error;
  }
  done.abort();
  await renewing;
  return { ...(await store(backend, token, owner, runtime)), source: 'leased' };
}

/** A fetched token is never lost to the store failing: the caller learns of the failure. */
async function store(
  backend: LeaseBackend,
  token: CachedToken,
  owner: string,
  runtime: Runtime,
): Promise<Pick<LeasedResult, 'token' | 'raw' | 'storeError'>> {
  try {
    return {
      token,
      raw: await backend.storeAndRelease(token, token.expiresAt - runtime.now(), owner),
    };
  } catch (storeError) {
    return { token, storeError };
  }
}
