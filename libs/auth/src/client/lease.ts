import { randomUUID } from 'node:crypto';
import { numberOption } from '../shared/number-option.js';
import type { EntryCipher } from './entry-cipher.js';
import type { CachedToken } from './token-cache.js';
import type { TokenCacheLease, TokenCacheStore } from './token-cache.store.js';
import type { Runtime } from './token-request.js';

/** A store's lease timings, defaults filled in (see {@link TokenCacheLease}). */
export interface LeaseSettings {
  leaseMs: number;
  pollMs: number;
  waitMs: number;
  refreshSpreadMs: number;
}

/** Checks a store's lease timings (or takes the defaults), naming a bad one through `fail`. */
export function leaseSettings(
  lease: TokenCacheLease | undefined,
  fail: (name: string, why: string) => never,
): LeaseSettings {
  return {
    leaseMs: numberOption('leaseMs', lease?.leaseMs, 3_000, { min: 10 }, fail),
    pollMs: numberOption('pollMs', lease?.pollMs, 25, { min: 1 }, fail),
    waitMs: numberOption('waitMs', lease?.waitMs, 15_000, {}, fail),
    refreshSpreadMs: numberOption('refreshSpreadMs', lease?.refreshSpreadMs, 5_000, {}, fail),
  };
}

export interface LeasedRequest {
  /** The stored value the caller has and wants replaced (refresh ahead, 401): a miss. */
  known?: string;
  /** Whether a stored token will do (valid, not the token a downstream just rejected, ...). */
  usable: (token: CachedToken) => boolean;
  /**
   * How long to wait for another replica's request before fetching anyway (owner dead, stuck
   * or slower than this).
   */
  waitMs: number;
  /**
   * A background refresh: while another replica holds the lease, `undefined` comes back at
   * once (the current token keeps serving, and this replica looks later).
   */
  background?: boolean;
  signal: AbortSignal;
}

/**
 * How the token was had: read from the store (`shared`), fetched under the lease (`leased`),
 * fetched from a store without a lease (`fetched`), or fetched without the lease after
 * `waitMs` or with the store failing (`fallback`).
 */
export type LeasedSource = 'shared' | 'leased' | 'fetched' | 'fallback';

export interface LeasedResult {
  token: CachedToken;
  /** The sealed value in the store, when the token is there (pass it as `known` later). */
  raw?: string;
  source: LeasedSource;
  /** Whether this call waited for another replica's lease. */
  waited: boolean;
  /** The store failed: the token is good, the store is not. */
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

/** A store operation failed (as opposed to the token request). */
class StoreFailure extends Error {}

async function storeOp<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (cause) {
    throw new StoreFailure('token cache store failed', { cause });
  }
}

/** What writing a fetched token gave: never a failure (the token is good, the store maybe not). */
type Written = Pick<LeasedResult, 'token' | 'raw' | 'storeError'>;

/**
 * One replica's token for the entry `cipher` names in `store`: the stored token when it is
 * there and usable; otherwise, with a lease, one replica takes it, fetches and writes, while
 * the others look again (jittered, bounded by `waitMs`) and read what it wrote. The owner
 * renews the lease while it fetches, so a live owner keeps it however slow its issuer, and a
 * dead one loses it within `leaseMs`: the next replica to look takes it over. Past `waitMs` a
 * waiter fetches itself. A store without a lease: read, else fetch and write.
 *
 * The store failing never fails the call: the token is fetched without it (`storeError`
 * says why). The token request's own failure propagates.
 */
export async function leasedFetch(
  store: TokenCacheStore,
  cipher: EntryCipher,
  fetchToken: () => Promise<CachedToken>,
  request: LeasedRequest,
  settings: LeaseSettings,
  runtime: Runtime,
): Promise<LeasedResult | undefined> {
  const key = cipher.id;
  const owner = randomUUID();
  const look = async () => {
    const raw = await storeOp(() => store.get(key));
    if (raw === undefined || raw === request.known) return undefined;
    const token = cipher.open(raw);
    return token !== undefined && request.usable(token) ? { token, raw } : undefined;
  };
  const write = async (token: CachedToken): Promise<Written> => {
    const raw = cipher.seal(token);
    try {
      await store.set(key, raw, Math.max(1, token.expiresAt - runtime.now()));
      return { token, raw };
    } catch (storeError) {
      return { token, storeError };
    }
  };
  const asOwner = async (lease: TokenCacheLease): Promise<Written> => {
    const done = new AbortController();
    const renewing = (async () => {
      while (!done.signal.aborted) {
        await runtime.sleep(settings.leaseMs / 3, done.signal);
        if (done.signal.aborted) return;
        // A lost lease (stalled past leaseMs, store hiccup) only means another replica may
        // fetch too; this fetch goes on.
        const held = await lease.acquire(key, owner, settings.leaseMs).catch(() => 1);
        if (held > 0) return;
      }
    })();
    try {
      const token = await fetchToken().finally(async () => {
        done.abort();
        await renewing;
      });
      return await write(token);
    } finally {
      // After the write, so whoever takes the lease next reads the token; after a failed
      // fetch, the next replica to look takes the lease and tries itself.
      await lease.release(key, owner).catch(() => undefined);
    }
  };

  const { lease } = store;
  const deadline = runtime.now() + request.waitMs;
  let waited = false;
  try {
    for (let attempt = 0; ; attempt += 1) {
      if (request.signal.aborted) throw request.signal.reason;
      const found = await look();
      if (found) return { ...found, source: 'shared', waited };
      if (!lease) return { ...(await write(await fetchToken())), source: 'fetched', waited };
      const heldMs = await storeOp(() => lease.acquire(key, owner, settings.leaseMs));
      if (heldMs <= 0) {
        // An owner writes before it releases: what the last one wrote is there now.
        const written = await look();
        if (written === undefined) return { ...(await asOwner(lease)), source: 'leased', waited };
        await lease.release(key, owner).catch(() => undefined);
        return { ...written, source: 'shared', waited };
      }
      if (request.background) return undefined;
      const left = deadline - runtime.now();
      if (left <= 0) return { ...(await write(await fetchToken())), source: 'fallback', waited };
      waited = true;
      const delay = Math.min(left, heldMs, pollDelay(attempt, settings.pollMs, runtime.random));
      await runtime.sleep(delay, request.signal);
    }
  } catch (error) {
    if (!(error instanceof StoreFailure)) throw error;
    return { token: await fetchToken(), source: 'fallback', waited, storeError: error.cause };
  }
}
