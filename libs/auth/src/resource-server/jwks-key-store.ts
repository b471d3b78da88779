import { createPublicKey, type KeyObject } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { JwksClient } from 'jwks-rsa';
import { JwksUnavailableError, UnknownKeyError } from './resource-server.errors.js';

/** What the key store needs to know (a subset of the resolved module options). */
export interface JwksKeyStoreOptions {
  jwksUri: string;
  jwksCacheMaxAgeMs: number;
  jwksTimeoutMs: number;
  jwksPenaltyWindowMs: number;
  jwksFailureCooldownMs: number;
}

/** Receives each fetch's outcome (metrics). */
export type JwksFetchListener = (outcome: 'success' | 'failure') => void;

/**
 * The issuer's RSA signing keys by `kid`, fetched with jwks-rsa's client.
 *
 * - One fetch at a time (concurrent callers share it).
 * - A known `kid` in a fresh set costs nothing; a stale set is refreshed, and
 *   if that fails the stale keys keep serving.
 * - An unknown `kid` triggers a refetch only when the penalty window since the
 *   last fetch has passed, so a flood of random kids costs the issuer at most
 *   one fetch per window.
 * - After a failed fetch, the next one waits for the failure cooldown; callers
 *   that need a key meanwhile get `JwksUnavailableError` with a retry delay.
 */
export class JwksKeyStore {
  private readonly logger = new Logger(JwksKeyStore.name);
  private readonly client: JwksClient;
  private keys: Map<string, KeyObject> | undefined;
  private fetchedAt = 0;
  /** No fetch for an unknown kid before this time (ms since epoch). */
  private nextFetchAt = 0;
  private lastFetchFailed = false;
  private lastFailure: unknown;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly options: JwksKeyStoreOptions,
    private readonly onFetch: JwksFetchListener = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.client = new JwksClient({
      jwksUri: options.jwksUri,
      cache: false,
      rateLimit: false,
      timeout: options.jwksTimeoutMs,
    });
  }

  /** True when `kid` is in a key set that is still fresh: no I/O, for the verified-token cache. */
  isPublished(kid: string): boolean {
    return (
      this.keys !== undefined &&
      this.now() - this.fetchedAt < this.options.jwksCacheMaxAgeMs &&
      this.keys.has(kid)
    );
  }

  /** The public key for `kid`; throws `UnknownKeyError` or `JwksUnavailableError`. */
  async getKey(kid: string): Promise<KeyObject> {
    if (this.keys && this.now() - this.fetchedAt >= this.options.jwksCacheMaxAgeMs) {
      await this.refresh(false);
    }
    const known = this.keys?.get(kid);
    if (known) return known;
    if (this.inFlight || this.now() >= this.nextFetchAt) {
      await this.refresh(true);
      const key = this.keys?.get(kid);
      if (key) return key;
    }
    if (this.lastFetchFailed) throw this.unavailable();
    throw new UnknownKeyError('the token signing key is unknown');
  }

  private unavailable(): JwksUnavailableError {
    const seconds = Math.max(1, Math.ceil((this.nextFetchAt - this.now()) / 1000));
    return new JwksUnavailableError('the issuer key set is unavailable', seconds, {
      cause: this.lastFailure,
    });
  }

  /** Refetches (shared by concurrent callers); `gated` honours the penalty window / cooldown. */
  private async refresh(gated: boolean): Promise<void> {
    if (!this.inFlight) {
      if (gated && this.now() < this.nextFetchAt) return;
      if (!gated && this.lastFetchFailed && this.now() < this.nextFetchAt) return;
      this.inFlight = this.fetch().finally(() => {
        this.inFlight = undefined;
      });
    }
    await this.inFlight;
  }

  private async fetch(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const signingKeys = await Promise.race([
        this.client.getSigningKeys(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new Error(`key set request timed out after ${this.options.jwksTimeoutMs} ms`)),
            this.options.jwksTimeoutMs,
          );
        }),
      ]);
      const keys = new Map<string, KeyObject>();
      for (const signingKey of signingKeys) {
        if (!signingKey.kid || (signingKey.alg && signingKey.alg !== 'RS256')) continue;
        const key = createPublicKey(signingKey.getPublicKey());
        if (key.asymmetricKeyType === 'rsa') keys.set(signingKey.kid, key);
      }
      if (keys.size === 0) throw new Error('the key set holds no RS256 signing key');
      this.keys = keys;
      this.fetchedAt = this.now();
      this.nextFetchAt = this.fetchedAt + this.options.jwksPenaltyWindowMs;
      this.lastFetchFailed = false;
      this.lastFailure = undefined;
      this.onFetch('success');
    } catch (err) {
      this.lastFetchFailed = true;
      this.lastFailure = err;
      this.nextFetchAt = this.now() + this.options.jwksFailureCooldownMs;
      this.onFetch('failure');
      this.logger.warn(
        `Key set fetch failed (${err instanceof Error ? err.message : String(err)}); ` +
          `next attempt in ${this.options.jwksFailureCooldownMs} ms`,
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
