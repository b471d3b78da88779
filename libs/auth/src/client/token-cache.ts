import type { TokenCacheStore } from './token-cache.store.js';

/** A token as the client keeps it. Times are epoch milliseconds. */
export interface CachedToken {
  accessToken: string;
  /** When the token stops being usable (its `expires_in` minus a small skew). */
  expiresAt: number;
  /** When a background refresh should start (by default 75% of the lifetime). */
  refreshAt: number;
}

/**
 * What the providers of one entry share in this process: the token, the request in flight,
 * the remembered OAuth error and the pauses. Data only: `TokenProvider` holds the policy
 * that reads and changes it.
 */
export interface TokenSlot {
  token: CachedToken | undefined;
  /** The sealed value the store holds for `stored.accessToken`, when known. */
  stored: { accessToken: string; raw: string } | undefined;
  inflight: Promise<CachedToken> | undefined;
  error: { error: Error; until: number } | undefined;
  /** No background refresh before this (a failed one, another replica refreshing). */
  refreshPausedUntil: number;
  /** The token a forced refresh (after a 401) produced, and whether its cooldown started. */
  forced: { accessToken: string; cooledDown: boolean } | undefined;
  /** No forced refresh before this. */
  cooldownUntil: number;
  /** Aborted when the last provider of the entry closes: its request in flight stops. */
  readonly signal: AbortSignal;
}

/** A store as the providers of one process share it, and how it is doing. */
export interface StoreScope {
  readonly store: TokenCacheStore | undefined;
  /** Since when, and why, the store has been failing: one warning per outage. */
  outage: { since: number; reason: string } | undefined;
}

/** A slot taken by one provider; `release` it once, when the provider closes. */
export interface HeldSlot {
  slot: TokenSlot;
  scope: StoreScope;
  release: () => void;
}

interface Scope {
  scope: StoreScope;
  slots: Map<string, { slot: TokenSlot; refs: number; abort: AbortController }>;
}

/**
 * The slots of this process, per store and entry: providers with the same store (or none)
 * and the same entry share one. A slot goes with the last provider holding it, a store's
 * scope with its last slot (then the store is closed).
 */
export class TokenSlots {
  /** The one registry of the process: what makes sharing process-wide. */
  static readonly process = new TokenSlots();

  private readonly scopes = new Map<TokenCacheStore | undefined, Scope>();

  acquire(store: TokenCacheStore | undefined, id: string): HeldSlot {
    let scope = this.scopes.get(store);
    if (!scope) {
      scope = { scope: { store, outage: undefined }, slots: new Map() };
      this.scopes.set(store, scope);
    }
    let held = scope.slots.get(id);
    if (!held) {
      const abort = new AbortController();
      const slot: TokenSlot = {
        token: undefined,
        stored: undefined,
        inflight: undefined,
        error: undefined,
        refreshPausedUntil: 0,
        forced: undefined,
        cooldownUntil: 0,
        signal: abort.signal,
      };
      held = { slot, refs: 0, abort };
      scope.slots.set(id, held);
    }
    held.refs += 1;
    const { slots } = scope;
    const entry = held;
    return {
      slot: held.slot,
      scope: scope.scope,
      release: () => {
        entry.refs -= 1;
        if (entry.refs > 0) return;
        entry.abort.abort();
        slots.delete(id);
        if (slots.size > 0) return;
        this.scopes.delete(store);
        store?.close?.();
      },
    };
  }
}
