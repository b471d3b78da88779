import { hash } from 'node:crypto';
import type { VerifiedToken } from './jwt.strategy.js';
import type { Principal } from './principal.decorator.js';

/** Freezes `value` and everything reachable from it (claims are plain JSON: no cycles). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/**
 * Makes a principal immutable, its `claims` and `scopes` included, so that one request
 * cannot change what a later request with the same (cached) token sees.
 */
export function freezePrincipal(principal: Principal): Readonly<Principal> {
  return deepFreeze(principal);
}

/**
 * A bounded LRU of tokens that passed full verification, keyed by the SHA-256
 * of the request's Authorization header value (the token itself is not kept). A hit still checks expiry
 * and that the signing key is still published; everything else a token is
 * checked for cannot change for a given token and configuration. Cached
 * principals are deeply frozen ({@link freezePrincipal}): every hit shares one object.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, VerifiedToken>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  static keyOf(authorization: string): string {
    return hash('sha256', authorization, 'base64');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The principal of a cached token still valid now and whose `kid` passes `isPublished`. */
  get(key: string, isPublished: (kid: string) => boolean): Readonly<Principal> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() >= entry.validUntil || !isPublished(entry.kid)) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.principal;
  }

  set(key: string, verified: VerifiedToken): void {
    if (this.maxEntries <= 0) return;
    this.entries.delete(key);
    // JwtStrategy already froze it (then this is one isFrozen check), but a subclass of the
    // exported JwtStrategy (validate) may hand over its own object, and every hit shares the
    // cached one: so freeze here regardless.
    this.entries.set(key, { ...verified, principal: freezePrincipal(verified.principal) });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
