import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Clock } from '../shared/clock.js';
import { sha256 } from '../shared/secrets.js';

/** How many refresh tokens, and how many revoked sign-ins, are kept (the oldest go first). */
export const MAX_REFRESH_ENTRIES = 10_000;

/** What a refresh token stands for. */
export interface RefreshGrant {
  clientId: string;
  username: string;
  /** The `origin_jti` of every access and ID token issued from this sign-in. */
  originJti: string;
  /** Unix seconds. */
  expiresAt: number;
}

export type RefreshLookup =
  { ok: true; grant: RefreshGrant } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

/**
 * The refresh tokens InitiateAuth issued, by SHA-256 of the token (the token itself is
 * opaque to clients, as Cognito's are, and never stored), and the sign-ins revoked through
 * `POST /oauth2/revoke`, whose access tokens userInfo then refuses. In memory, at most
 * {@link MAX_REFRESH_ENTRIES} of each: a restart signs every user out. InitiateAuth issues
 * and reads them, the revocation and userInfo endpoints revoke and check them.
 */
@Injectable()
export class RefreshTokenStore {
  private readonly grants = new Map<string, RefreshGrant>();
  /** `origin_jti` → unix seconds until which tokens from it could still be presented. */
  private readonly revoked = new Map<string, number>();

  constructor(@Inject(Clock) private readonly clock: Clock) {}

  issue(grant: RefreshGrant): string {
    const token = randomBytes(48).toString('base64url');
    this.grants.set(key(token), grant);
    this.bound(this.grants);
    return token;
  }

  lookup(token: string): RefreshLookup {
    const grant = this.grants.get(key(token));
    if (!grant) return { ok: false, reason: 'unknown' };
    if (this.isRevoked(grant.originJti)) return { ok: false, reason: 'revoked' };
    if (this.clock.nowSeconds() >= grant.expiresAt) return { ok: false, reason: 'expired' };
    return { ok: true, grant };
  }

  /**
   * Revokes the sign-in `grant` belongs to: its refresh token and, until
   * `tokensValidForSeconds` (the longest lifetime of its access tokens) have passed, its
   * access tokens.
   */
  revoke(grant: RefreshGrant, tokensValidForSeconds: number): void {
    const until = Math.max(grant.expiresAt, this.clock.nowSeconds() + tokensValidForSeconds);
    this.revoked.set(grant.originJti, until);
    this.bound(this.revoked);
  }

  isRevoked(originJti: string): boolean {
    const until = this.revoked.get(originJti);
    return until !== undefined && this.clock.nowSeconds() < until;
  }

  private bound(map: Map<string, unknown>): void {
    while (map.size > MAX_REFRESH_ENTRIES) map.delete(map.keys().next().value!);
  }
}

function key(token: string): string {
  return sha256(token).toString('base64url');
}
