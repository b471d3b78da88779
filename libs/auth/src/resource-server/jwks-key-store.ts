import { createPublicKey, type KeyObject } from 'node:crypto';
import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { JwksClient } from 'jwks-rsa';
import { createJwksFetcher } from './jwks-fetcher.js';
import { JwksUnavailableError, UnknownKeyError } from './resource-server.errors.js';

/** RSA keys shorter than this are not trusted (RFC 7518 §3.3: 2048 bits or larger). */
const MIN_RSA_BITS = 2048;

/** What the key store needs to know (a subset of the resolved module options). */
export interface JwksKeyStoreOptions {
  jwksUri: string;
  jwksCacheMaxAgeMs: number;
  jwksMaxStaleMs: number;
  jwksTimeoutMs: number;
  jwksMaxBytes: number;
  jwksPenaltyWindowMs: number;
  jwksFailureCooldownMs: number;
}

/** Receives each fetch's outcome (metrics). */
export type JwksFetchListener = (outcome: 'success' | 'failure') => void;

/** Why a fetch started: the penalty window only follows fetches for an unknown `kid`. */
type FetchReason = 'routine' | 'unknown_kid' | 'probe';

/**
 * The issuer's RSA signing keys by `kid`, fetched with jwks-rsa's client.
 *
 * - Each fetch is bounded by `jwksTimeoutMs` (a total deadline) and `jwksMaxBytes`, and
 *   aborted, its connection closed, when it exceeds either (see `createJwksFetcher`);
 *   fetches in flight are aborted when the module is destroyed.
 * - Only RS256 keys of at least 2048 bits are kept; a shorter one is dropped with one
 *   warning naming its `kid`.
 * - One fetch at a time (concurrent callers share it).
 * - A known `kid` in a fresh set costs nothing. A set older than
 *   `jwksCacheMaxAgeMs` is refreshed; if that fails its keys keep serving for
 *   at most `jwksMaxStaleMs` more, then callers get `JwksUnavailableError`.
 * - An unknown `kid` triggers one refetch, unless a fetch that began after the
 *   request arrived already answered it. The penalty window starts when such
 *   an unknown-`kid` refetch completes (never after routine or initial
 *   fetches, so tokens of a freshly rotated key are accepted at once); within
 *   it, unknown kids cause no fetch, so a flood of random kids costs the
 *   issuer at most one fetch per window.
 * - After a failed fetch, the next one waits for the failure cooldown; callers
 *   that need a key meanwhile get `JwksUnavailableError` with a retry delay.
 *
 * @example
 * ```ts
 * const store = new JwksKeyStore({
 *   jwksUri: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json',
 *   jwksCacheMaxAgeMs: 600_000, jwksMaxStaleMs: 3_600_000, jwksTimeoutMs: 5_000,
 *   jwksMaxBytes: 1_048_576, jwksPenaltyWindowMs: 10_000, jwksFailureCooldownMs: 1_000,
 * });
 * const key = await store.getKey(decodeProtectedHeader(token).kid as string);
 * ```
 */
export class JwksKeyStore implements OnModuleDestroy {
  /** Where the key set is fetched from. */
  readonly jwksUri: string;
  private readonly logger = new Logger(JwksKeyStore.name);
  private readonly client: JwksClient;
  /** Aborts every fetch in flight when the store is destroyed. */
  private readonly lifetime = new AbortController();
  /** The kids of weak keys already warned about (one warning each). */
  private readonly weakKidsWarned = new Set<string>();
  private keys: Map<string, KeyObject> | undefined;
  /** When the current key set was fetched (ms since epoch). */
  private fetchedAt = 0;
  /** When the latest fetch, successful or not, completed. */
  private lastAttemptAt = 0;
  /** No fetch for an unknown kid before this time (the penalty window). */
  private penaltyUntil = 0;
  /** No fetch at all before this time after a failure (the failure cooldown). */
  private cooldownUntil = 0;
  private lastFetchFailed = false;
  private lastFailure: unknown;
  private inFlight: Promise<void> | undefined;
  /** Fetches started so far; a fetch numbered above a request's arrival count began after it. */
  private started = 0;
  /** Number of the latest completed fetch. */
  private completed = 0;

  constructor(
    private readonly options: JwksKeyStoreOptions,
    private readonly onFetch: JwksFetchListener = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.jwksUri = options.jwksUri;
    this.client = new JwksClient({
      jwksUri: options.jwksUri,
      cache: false,
      rateLimit: false,
      fetcher: createJwksFetcher({
        timeoutMs: options.jwksTimeoutMs,
        maxBytes: options.jwksMaxBytes,
        signal: this.lifetime.signal,
      }),
    });
  }

  onModuleDestroy(): void {
    this.lifetime.abort();
  }

  /** Whether a key set has been fetched at least once. */
  get loaded(): boolean {
    return this.keys !== undefined;
  }

  /**
   * The key for `kid` when it is in a key set that is still fresh, else `undefined`: no I/O,
   * so a verification with a known key, and a verified-token cache hit, stay synchronous.
   */
  publishedKey(kid: string): KeyObject | undefined {
    return this.keys !== undefined && this.now() - this.fetchedAt < this.options.jwksCacheMaxAgeMs
      ? this.keys.get(kid)
      : undefined;
  }

  /**
   * Readiness: true when a usable key set is loaded and the latest fetch succeeded. Fetches
   * first when none is loaded yet, or when the penalty window has passed since the latest
   * fetch (the failure cooldown after a failed one), so probes notice an unreachable issuer,
   * and its return, within one window while costing it at most one fetch per window.
   */
  async isReady(): Promise<boolean> {
    const now = this.now();
    const due = this.lastFetchFailed
      ? now >= this.cooldownUntil
      : !this.keys || now >= this.lastAttemptAt + this.options.jwksPenaltyWindowMs;
    if (this.inFlight || due) await this.fetchShared('probe');
    return this.usableKeys() !== undefined && !this.lastFetchFailed;
  }

  /** The public key for `kid`; throws `UnknownKeyError` or `JwksUnavailableError`. */
  async getKey(kid: string): Promise<KeyObject> {
    const arrival = this.started;
    if (!this.keys || this.now() - this.fetchedAt >= this.options.jwksCacheMaxAgeMs) {
      if (this.inFlight || !this.coolingDown()) await this.fetchShared('routine');
    }
    for (;;) {
      const key = this.usableKeys()?.get(kid);
      if (key) return key;
      // A fetch that began after this request arrived has answered: no second one.
      if (this.completed > arrival) break;
      if (this.inFlight) {
        await this.inFlight;
        continue;
      }
      if (this.coolingDown() || this.now() < this.penaltyUntil) break;
      await this.fetchShared('unknown_kid');
    }
    if (this.lastFetchFailed || !this.usableKeys()) throw this.unavailable();
    throw new UnknownKeyError('the token signing key is unknown');
  }

  /** The key set, unless it is older than its max age plus the allowed staleness. */
  private usableKeys(): Map<string, KeyObject> | undefined {
    const maxAge = this.options.jwksCacheMaxAgeMs + this.options.jwksMaxStaleMs;
    return this.keys && this.now() - this.fetchedAt < maxAge ? this.keys : undefined;
  }

  private coolingDown(): boolean {
    return this.lastFetchFailed && this.now() < this.cooldownUntil;
  }

  private unavailable(): JwksUnavailableError {
    const seconds = Math.max(1, Math.ceil((this.cooldownUntil - this.now()) / 1000));
    return new JwksUnavailableError('the issuer key set is unavailable', seconds, {
      cause: this.lastFailure,
    });
  }

  /** Joins the fetch in flight, or starts one. */
  private fetchShared(reason: FetchReason): Promise<void> {
    if (!this.inFlight) {
      const number = ++this.started;
      this.inFlight = this.fetch(reason).finally(() => {
        this.completed = number;
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  private async fetch(reason: FetchReason): Promise<void> {
    try {
      const keys = new Map<string, KeyObject>();
      for (const signingKey of await this.client.getSigningKeys()) {
        if (!signingKey.kid || (signingKey.alg && signingKey.alg !== 'RS256')) continue;
        const key = createPublicKey(signingKey.getPublicKey());
        if (key.asymmetricKeyType !== 'rsa') continue;
        const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
        if (bits < MIN_RSA_BITS) {
          this.warnWeakKey(signingKey.kid, bits);
          continue;
        }
        keys.set(signingKey.kid, key);
      }
      if (keys.size === 0) throw new Error('the key set holds no usable RS256 signing key');
      this.keys = keys;
      this.fetchedAt = this.lastAttemptAt = this.now();
      if (reason === 'unknown_kid') {
        this.penaltyUntil = this.fetchedAt + this.options.jwksPenaltyWindowMs;
      }
      this.lastFetchFailed = false;
      this.lastFailure = undefined;
      this.onFetch('success');
    } catch (err) {
      this.lastFetchFailed = true;
      this.lastFailure = err;
      this.lastAttemptAt = this.now();
      this.cooldownUntil = this.lastAttemptAt + this.options.jwksFailureCooldownMs;
      this.onFetch('failure');
      this.logger.warn(
        `Key set fetch failed (${err instanceof Error ? err.message : String(err)}); ` +
          `next attempt in ${this.options.jwksFailureCooldownMs} ms`,
      );
    }
  }

  private warnWeakKey(kid: string, bits: number): void {
    if (this.weakKidsWarned.has(kid)) return;
    this.weakKidsWarned.add(kid);
    // Quoted and escaped: a kid is the issuer's text, not ours.
    this.logger.warn(
      `Key set key ${JSON.stringify(kid.slice(0, 128))} is a ${bits}-bit RSA key, ` +
        `under the ${MIN_RSA_BITS} bits required: not trusted`,
    );
  }
}
