import { Logger } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { DEFAULT_RETRY, type RetryOptions } from './backoff.js';
import { TokenEndpointError } from './client.errors.js';
import { m2mClientMetrics, type M2MClientMetrics } from './client.metrics.js';
import {
  type CachedToken,
  MemoryTokenCacheStore,
  type TokenCacheStore,
  tokenCacheKey,
} from './token-cache.store.js';
import {
  type ClientAuthMethod,
  type Runtime,
  TokenEndpointClient,
  type TokenResponse,
} from './token-endpoint.js';

/** A source of the current time in epoch milliseconds (tests pass a fake one). */
export interface TokenClock {
  now(): number;
}

/** What a {@link TokenProvider} needs to get client-credentials tokens. */
export interface TokenProviderOptions {
  /** The token endpoint, e.g. `https://my-fleet.auth.eu-west-1.amazoncognito.com/oauth2/token`. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Full scope names (`weather-api/forecast.read`). Empty: every scope the client is allowed. */
  scopes?: readonly string[];
  /** Default `client_secret_basic`. */
  authMethod?: ClientAuthMethod;
  /** Per token request. Default 5,000 ms. */
  tokenTimeoutMs?: number;
  retry?: Partial<RetryOptions>;
  /** Fraction of the lifetime after which a background refresh starts. Default 0.75. */
  refreshAhead?: number;
  /** A token is treated as expired this long before its `expires_in`. Default 5,000 ms. */
  expirySkewMs?: number;
  /** Default: a {@link MemoryTokenCacheStore} of this provider. */
  cache?: TokenCacheStore;
  /** Default: `Date.now`. */
  clock?: TokenClock;
}

/** Collaborators a test may replace. */
export interface TokenProviderDeps {
  registry?: Registry | null;
  logger?: Pick<Logger, 'warn' | 'log' | 'error'>;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
}

const realSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

function validate(options: TokenProviderOptions) {
  const fail = (name: string, why: string) => {
    throw new TypeError(`M2M client option "${name}" ${why}`);
  };
  let url: URL | undefined;
  try {
    url = new URL(options.tokenUrl);
  } catch {
    fail('tokenUrl', 'must be an absolute URL');
  }
  if (url && url.protocol !== 'https:' && url.protocol !== 'http:')
    fail('tokenUrl', 'must be http(s)');
  if (!options.clientId) fail('clientId', 'is required');
  if (!options.clientSecret) fail('clientSecret', 'is required');
  const ahead = options.refreshAhead ?? 0.75;
  if (!(ahead > 0 && ahead <= 1)) fail('refreshAhead', 'must be in (0, 1]');
  const method = options.authMethod ?? 'client_secret_basic';
  if (method !== 'client_secret_basic' && method !== 'client_secret_post')
    fail('authMethod', 'must be client_secret_basic or client_secret_post');
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  if (!(Number.isInteger(retry.maxAttempts) && retry.maxAttempts >= 1))
    fail('retry.maxAttempts', 'must be an integer >= 1');
  return retry;
}

/**
 * Gets OAuth 2.0 client-credentials tokens and keeps the cost at one token request per
 * (token URL, client, scope set) per token lifetime: cached, shared by concurrent callers
 * (single flight), refreshed in the background ahead of expiry while the current token
 * keeps serving, and served while the issuer is down for as long as it is valid.
 *
 * @example
 * ```ts
 * const provider = new TokenProvider({ tokenUrl, clientId, clientSecret, scopes: ['weather-api/forecast.read'] });
 * const token = await provider.getToken();
 * const fresh = await provider.getToken({ forceRefresh: true, rejectedToken: token }); // after a 401
 * ```
 */
export class TokenProvider {
  readonly clientId: string;
  private readonly key: string;
  private readonly cache: TokenCacheStore;
  private readonly clock: TokenClock;
  private readonly endpoint: TokenEndpointClient;
  private readonly metrics: M2MClientMetrics;
  private readonly logger: Pick<Logger, 'warn' | 'log' | 'error'>;
  private readonly refreshAhead: number;
  private readonly skewMs: number;
  private readonly abort = new AbortController();
  private inflight: Promise<CachedToken> | undefined;
  private backgroundNotBefore = 0;
  private failing: string | undefined;
  private readonly hitLabels: { client_id: string; result: 'hit' };
  private readonly missLabels: { client_id: string; result: 'miss' };

  constructor(options: TokenProviderOptions, deps: TokenProviderDeps = {}) {
    const retry = validate(options);
    const scopes = [...new Set(options.scopes ?? [])].sort();
    this.clientId = options.clientId;
    this.hitLabels = { client_id: options.clientId, result: 'hit' };
    this.missLabels = { client_id: options.clientId, result: 'miss' };
    this.key = tokenCacheKey(options.tokenUrl, options.clientId, scopes);
    this.cache = options.cache ?? new MemoryTokenCacheStore();
    this.clock = options.clock ?? { now: () => Date.now() };
    this.refreshAhead = options.refreshAhead ?? 0.75;
    this.skewMs = options.expirySkewMs ?? 5_000;
    this.metrics = m2mClientMetrics(deps.registry);
    this.logger = deps.logger ?? new Logger(TokenProvider.name);
    const runtime: Runtime = {
      now: () => this.clock.now(),
      sleep: deps.sleep ?? realSleep,
      random: deps.random ?? Math.random,
    };
    this.endpoint = new TokenEndpointClient(
      {
        tokenUrl: options.tokenUrl,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        scopes,
        authMethod: options.authMethod ?? 'client_secret_basic',
        timeoutMs: options.tokenTimeoutMs ?? 5_000,
        retry,
      },
      runtime,
      this.metrics,
    );
  }

  /**
   * A valid access token. Waits only when no valid token is cached. `forceRefresh` (after
   * the downstream answered 401) gets a new one; pass the `rejectedToken` so that many
   * concurrent 401s for the same token cost one token request.
   */
  async getToken(options: { forceRefresh?: boolean; rejectedToken?: string } = {}) {
    if (options.forceRefresh) return this.forceRefresh(options.rejectedToken);
    const cached = this.cache.peek ? this.cache.peek(this.key) : await this.cache.get(this.key);
    const token = this.serveCached(cached);
    if (token !== undefined) return token;
    this.metrics.tokenCache?.inc(this.missLabels);
    return (await this.fetchShared()).accessToken;
  }

  /**
   * The cached token when the store can be read synchronously and holds a valid one, else
   * `undefined` (then call {@link getToken}). Counts a cache hit and starts the background
   * refresh exactly as `getToken` does; never sends a request itself.
   */
  peekToken(): string | undefined {
    return this.cache.peek ? this.serveCached(this.cache.peek(this.key)) : undefined;
  }

  private serveCached(cached: CachedToken | undefined): string | undefined {
    const now = this.clock.now();
    if (!cached || now >= cached.expiresAt) return undefined;
    this.metrics.tokenCache?.inc(this.hitLabels);
    if (now >= cached.refreshAt && now >= this.backgroundNotBefore && !this.inflight) {
      this.refreshInBackground();
    }
    return cached.accessToken;
  }

  /** True when a valid token is cached: no request, no metrics (for readiness probes). */
  async hasValidToken(): Promise<boolean> {
    const cached = await this.cache.get(this.key);
    return cached !== undefined && this.clock.now() < cached.expiresAt;
  }

  /** Stops waits and requests in flight (called when the module is destroyed). */
  close() {
    this.abort.abort();
  }

  private async forceRefresh(rejectedToken?: string) {
    if (this.inflight) return (await this.inflight).accessToken;
    if (rejectedToken !== undefined) {
      const cached = await this.cache.get(this.key);
      if (cached && cached.accessToken !== rejectedToken && this.clock.now() < cached.expiresAt) {
        return cached.accessToken;
      }
    }
    return (await this.fetchShared()).accessToken;
  }

  private fetchShared(): Promise<CachedToken> {
    this.inflight ??= this.fetchAndStore().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchAndStore(): Promise<CachedToken> {
    let response: TokenResponse;
    try {
      response = await this.endpoint.requestToken(this.abort.signal);
    } catch (error) {
      this.reportFailure(error);
      // Background refreshes pause for a while instead of asking again on every call.
      // Set before the in-flight promise settles, so no caller slips in between.
      const cached = await this.cache.get(this.key).catch(() => undefined);
      const now = this.clock.now();
      const left = cached ? cached.expiresAt - now : 0;
      this.backgroundNotBefore = now + Math.min(30_000, Math.max(1_000, left / 4));
      throw error;
    }
    const now = this.clock.now();
    const lifetimeMs = response.expiresInSeconds * 1000;
    const entry: CachedToken = {
      accessToken: response.accessToken,
      expiresAt: now + Math.max(lifetimeMs - this.skewMs, lifetimeMs / 2),
      refreshAt: now + lifetimeMs * this.refreshAhead,
    };
    await this.cache.set(this.key, entry, entry.expiresAt - now);
    if (this.failing) {
      this.logger.log(`Token endpoint serves client "${this.clientId}" again`);
      this.failing = undefined;
    }
    this.backgroundNotBefore = 0;
    return entry;
  }

  private refreshInBackground() {
    // Failures are logged (once) and paused in fetchAndStore; the current token keeps serving.
    this.fetchShared().catch(() => undefined);
  }

  /** One log line per outage (or per distinct OAuth error), not one per call. */
  private reportFailure(error: unknown) {
    const kind = error instanceof TokenEndpointError ? error.code : 'unavailable';
    if (this.failing === kind) return;
    this.failing = kind;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof TokenEndpointError) this.logger.error(message);
    else this.logger.warn(`${message}; a cached token keeps serving until it expires`);
  }
}
