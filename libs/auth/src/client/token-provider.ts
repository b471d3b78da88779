import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Attributes } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import { inSpan, markSpan } from '../shared/spans.js';
import { DEFAULT_RETRY, type RetryOptions } from './backoff.js';
import { M2MClientConfigError, TokenEndpointError } from './client.errors.js';
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
  /**
   * Default: one {@link MemoryTokenCacheStore} shared by every provider of this process, so
   * two registrations with the same token URL, client, secret and scopes share one token
   * (an entry is dropped when the last provider using it is closed). A store that throws is
   * treated as a miss (reads) or skipped (writes), logged once; the provider then keeps
   * serving the last token it fetched itself.
   */
  cache?: TokenCacheStore;
  /**
   * How long an OAuth error of the token endpoint (`TokenEndpointError`: `invalid_client`,
   * `invalid_scope`, ...) is remembered: meanwhile `getToken` rethrows it without a request,
   * `forceRefresh` included (a wrong or rotated secret must not cost a request per incoming
   * call). A valid cached token keeps serving. Default 30,000 ms; 0 turns it off.
   */
  errorCacheMs?: number;
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

/** Checks the options and returns the defaulted values the provider uses. */
function validate(options: TokenProviderOptions) {
  const fail = (name: string, why: string) => {
    throw new M2MClientConfigError(name, why);
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
  if (method === 'client_secret_basic' && options.clientId?.includes(':'))
    fail('clientId', 'cannot contain ":" with client_secret_basic; use client_secret_post');
  const errorCacheMs = options.errorCacheMs ?? 30_000;
  if (!(Number.isFinite(errorCacheMs) && errorCacheMs >= 0))
    fail('errorCacheMs', 'must be a number >= 0');
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  if (!(Number.isInteger(retry.maxAttempts) && retry.maxAttempts >= 1))
    fail('retry.maxAttempts', 'must be an integer >= 1');
  return { refreshAhead: ahead, authMethod: method, errorCacheMs, retry };
}

/**
 * Where an `m2m.token` span's token came from: `cache`, `fetch` (this call sent the
 * request), `shared` (it joined a request in flight) or `refresh` (forced, after a 401).
 */
const TOKEN_SOURCE = 'm2m.token.source';

/** The default store, shared process-wide (see `TokenProviderOptions.cache`). */
const sharedStore = new MemoryTokenCacheStore();
/**
 * Per shared key: how many open providers use it, the request in flight, the OAuth error
 * being remembered, and the last token fetched (served when the store fails to read).
 */
interface SharedSlot {
  refs: number;
  inflight?: Promise<CachedToken>;
  negative?: { error: TokenEndpointError; until: number };
  own?: CachedToken;
}
const shared = new Map<string, SharedSlot>();

/**
 * The key under which providers share a token and a request in this process: the public
 * cache key plus a digest of the secret, so a provider with a wrong secret never gets the
 * token (or the error) of one with the right secret. Stays in memory; custom stores get
 * the public {@link tokenCacheKey}.
 */
function processKey(key: string, secret: string) {
  return `${key}|${createHash('sha256').update(secret).digest('base64url').slice(0, 22)}`;
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
  private readonly sharedKey: string;
  private readonly slot: SharedSlot;
  private readonly cache: TokenCacheStore;
  private readonly errorCacheMs: number;
  private storeFailureLogged = false;
  private closed = false;
  private readonly clock: TokenClock;
  private readonly endpoint: TokenEndpointClient;
  /**
   * The metrics of this client (from `deps.registry`), shared with the HTTP interceptors so
   * they are looked up once per client.
   * @internal
   */
  readonly metrics: M2MClientMetrics;
  private readonly logger: Pick<Logger, 'warn' | 'log' | 'error'>;
  private readonly refreshAhead: number;
  private readonly skewMs: number;
  private readonly abort = new AbortController();
  private backgroundNotBefore = 0;
  private failing: string | undefined;
  private readonly hitLabels: { client_id: string; result: 'hit' };
  private readonly missLabels: { client_id: string; result: 'miss' };
  /** Of every `m2m.token` span: which client and scopes (never the secret, never a token). */
  private readonly spanAttributes: Attributes;

  constructor(options: TokenProviderOptions, deps: TokenProviderDeps = {}) {
    const { refreshAhead, authMethod, errorCacheMs, retry } = validate(options);
    const scopes = [...new Set(options.scopes ?? [])].sort();
    this.clientId = options.clientId;
    this.hitLabels = { client_id: options.clientId, result: 'hit' };
    this.missLabels = { client_id: options.clientId, result: 'miss' };
    this.spanAttributes = { 'oauth.client_id': options.clientId, 'oauth.scope': scopes.join(' ') };
    const publicKey = tokenCacheKey(options.tokenUrl, options.clientId, scopes);
    this.sharedKey = processKey(publicKey, options.clientSecret);
    this.key = options.cache ? publicKey : this.sharedKey;
    this.cache = options.cache ?? sharedStore;
    this.errorCacheMs = errorCacheMs;
    let slot = shared.get(this.sharedKey);
    if (!slot) shared.set(this.sharedKey, (slot = { refs: 0 }));
    slot.refs += 1;
    this.slot = slot;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.refreshAhead = refreshAhead;
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
        authMethod,
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
  getToken(options: { forceRefresh?: boolean; rejectedToken?: string } = {}): Promise<string> {
    // An `m2m.token` span: the token request it may send is its child.
    return inSpan('m2m.token', this.spanAttributes, async (span) => {
      if (options.forceRefresh) {
        span.setAttribute(TOKEN_SOURCE, 'refresh');
        return this.forceRefresh(options.rejectedToken);
      }
      const cached = this.cache.peek ? this.peekStore() : await this.readStore();
      const token = this.serveCached(cached);
      if (token !== undefined) {
        span.setAttribute(TOKEN_SOURCE, 'cache');
        return token;
      }
      this.metrics.tokenCache?.inc(this.missLabels);
      span.setAttribute(TOKEN_SOURCE, this.slot.inflight ? 'shared' : 'fetch');
      return (await this.fetchShared()).accessToken;
    });
  }

  /**
   * The cached token when the store can be read synchronously and holds a valid one, else
   * `undefined` (then call {@link getToken}). Counts a cache hit and starts the background
   * refresh exactly as `getToken` does; never sends a request itself.
   */
  peekToken(): string | undefined {
    const token = this.cache.peek ? this.serveCached(this.peekStore()) : undefined;
    if (token !== undefined)
      markSpan('m2m.token', { ...this.spanAttributes, [TOKEN_SOURCE]: 'cache' });
    return token;
  }

  private peekStore(): CachedToken | undefined {
    try {
      return this.cache.peek!(this.key);
    } catch (error) {
      this.storeFailed('read', error);
      return this.slot.own;
    }
  }

  private async readStore(): Promise<CachedToken | undefined> {
    try {
      return await this.cache.get(this.key);
    } catch (error) {
      this.storeFailed('read', error);
      return this.slot.own;
    }
  }

  private async writeStore(entry: CachedToken, ttlMs: number) {
    try {
      await this.cache.set(this.key, entry, ttlMs);
    } catch (error) {
      this.storeFailed('write', error);
    }
  }

  /** Once per provider: a broken store must not flood the log. */
  private storeFailed(what: string, error: unknown) {
    if (this.storeFailureLogged) return;
    this.storeFailureLogged = true;
    const name = error instanceof Error ? error.name : typeof error;
    this.logger.warn(
      `Token cache store failed to ${what} for client "${this.clientId}" (${name}); ` +
        'using the token fetched last in this process (logged once)',
    );
  }

  private serveCached(cached: CachedToken | undefined): string | undefined {
    const now = this.clock.now();
    if (!cached || now >= cached.expiresAt) return undefined;
    this.metrics.tokenCache?.inc(this.hitLabels);
    if (now >= cached.refreshAt && now >= this.backgroundNotBefore && !this.slot.inflight) {
      this.refreshInBackground();
    }
    return cached.accessToken;
  }

  /** True when a valid token is cached: no request, no metrics (for readiness probes). */
  async hasValidToken(): Promise<boolean> {
    const cached = await this.readStore();
    return cached !== undefined && this.clock.now() < cached.expiresAt;
  }

  /** Stops waits and requests in flight (called when the module is destroyed). */
  close() {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.slot.refs -= 1;
    if (this.slot.refs === 0 && shared.get(this.sharedKey) === this.slot) {
      shared.delete(this.sharedKey);
      if (this.cache === sharedStore) void sharedStore.delete(this.key);
    }
  }

  private async forceRefresh(rejectedToken?: string) {
    if (this.slot.inflight) return (await this.slot.inflight).accessToken;
    if (rejectedToken !== undefined) {
      const cached = await this.readStore();
      if (cached && cached.accessToken !== rejectedToken && this.clock.now() < cached.expiresAt) {
        return cached.accessToken;
      }
    }
    return (await this.fetchShared()).accessToken;
  }

  private fetchShared(): Promise<CachedToken> {
    const negative = this.slot.negative;
    if (negative && this.clock.now() < negative.until) return Promise.reject(negative.error);
    const slot = this.slot;
    slot.inflight ??= this.fetchAndStore().finally(() => {
      slot.inflight = undefined;
    });
    return slot.inflight;
  }

  private async fetchAndStore(): Promise<CachedToken> {
    let response: TokenResponse;
    try {
      response = await this.endpoint.requestToken(this.abort.signal);
    } catch (error) {
      this.reportFailure(error);
      const now = this.clock.now();
      // Remembered before the in-flight promise settles, so no caller slips in between.
      if (error instanceof TokenEndpointError && this.errorCacheMs > 0) {
        this.slot.negative = { error, until: now + this.errorCacheMs };
      }
      // Background refreshes pause for a while instead of asking again on every call.
      const cached = await this.readStore();
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
    this.slot.own = entry;
    this.slot.negative = undefined;
    await this.writeStore(entry, entry.expiresAt - now);
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
