import { Logger } from '@nestjs/common';
import type { Attributes } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import { numberOption } from '../shared/number-option.js';
import { inSpan, markSpan } from '../shared/spans.js';
import { abortableSleep, DEFAULT_RETRY, type RetryOptions } from './backoff.js';
import { M2MClientConfigError, TokenEndpointError, TokenRejectedError } from './client.errors.js';
import { m2mClientMetrics, type M2MClientMetrics } from './client.metrics.js';
import type { ProbeResult, TokenReadiness } from '../shared/readiness.js';
import {
  type CachedToken,
  MemoryTokenCacheStore,
  type RefreshIntent,
  type TokenCacheEntry,
  type TokenCacheStore,
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
   * Where the token, the request in flight and a remembered error live, shared by every
   * provider of the store with the same token URL, client, secret and scopes (an entry is
   * dropped when the last provider using it is closed). Default:
   * `MemoryTokenCacheStore.processDefault`, shared by the whole process.
   */
  cache?: TokenCacheStore;
  /**
   * How long an OAuth error of the token endpoint (`TokenEndpointError`: `invalid_client`,
   * `invalid_scope`, ...) is remembered: meanwhile `getToken` rethrows it without a request,
   * `forceRefresh` included (a wrong or rotated secret must not cost a request per incoming
   * call). A valid cached token keeps serving. Default 30,000 ms; 0 turns it off.
   */
  errorCacheMs?: number;
  /**
   * No token storms: when the downstream rejects (401) the token a forced refresh just got,
   * no forced refresh for this long; calls meanwhile fail with the downstream's 401 without
   * a token request (one warning per cooldown, `m2m_token_refresh_cooldowns_total`).
   * Default 30,000 ms.
   */
  rejectionCooldownMs?: number;
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

/** How long a readiness probe waits for a first token. */
const READINESS_WAIT_MS = 2_000;

/** A fraction of a lifetime: in (0, 1]. */
const UNIT_FRACTION = { min: 0, exclusiveMin: true, max: 1 } as const;

/** Checks the options and returns the defaulted values the provider uses. */
function validate(options: TokenProviderOptions) {
  const fail = (name: string, why: string): never => {
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
  const ahead = numberOption('refreshAhead', options.refreshAhead, 0.75, UNIT_FRACTION, fail);
  const method = options.authMethod ?? 'client_secret_basic';
  if (method !== 'client_secret_basic' && method !== 'client_secret_post')
    fail('authMethod', 'must be client_secret_basic or client_secret_post');
  if (method === 'client_secret_basic' && options.clientId?.includes(':'))
    fail('clientId', 'cannot contain ":" with client_secret_basic; use client_secret_post');
  const errorCacheMs = numberOption('errorCacheMs', options.errorCacheMs, 30_000, {}, fail);
  const cooldownMs = numberOption(
    'rejectionCooldownMs',
    options.rejectionCooldownMs,
    30_000,
    {},
    fail,
  );
  const skewMs = numberOption('expirySkewMs', options.expirySkewMs, 5_000, {}, fail);
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  numberOption('retry.maxAttempts', retry.maxAttempts, 1, { min: 1, integer: true }, fail);
  return { refreshAhead: ahead, authMethod: method, errorCacheMs, cooldownMs, skewMs, retry };
}

/**
 * Where an `m2m.token` span's token came from: `cache`, `fetch` (this call sent the
 * request), `shared` (it joined a request in flight) or `refresh` (forced, after a 401).
 */
const TOKEN_SOURCE = 'm2m.token.source';

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
export class TokenProvider implements TokenReadiness {
  readonly clientId: string;
  private readonly entry: TokenCacheEntry;
  private readonly errorCacheMs: number;
  private readonly cooldownMs: number;
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
  private failing: string | undefined;
  private readonly hitLabels: { client_id: string; result: 'hit' };
  private readonly missLabels: { client_id: string; result: 'miss' };
  /** Of every `m2m.token` span: which client and scopes (never the secret, never a token). */
  private readonly spanAttributes: Attributes;
  private readonly cooldownLabels: { client_id: string };
  private readonly fetchToken = (signal: AbortSignal) => this.requestToken(signal);

  constructor(options: TokenProviderOptions, deps: TokenProviderDeps = {}) {
    const { refreshAhead, authMethod, errorCacheMs, cooldownMs, skewMs, retry } = validate(options);
    const scopes = [...new Set(options.scopes ?? [])].sort();
    this.clientId = options.clientId;
    this.hitLabels = { client_id: options.clientId, result: 'hit' };
    this.missLabels = { client_id: options.clientId, result: 'miss' };
    this.spanAttributes = { 'oauth.client_id': options.clientId, 'oauth.scope': scopes.join(' ') };
    this.cooldownLabels = { client_id: options.clientId };
    this.metrics = m2mClientMetrics(deps.registry);
    this.entry = (options.cache ?? MemoryTokenCacheStore.processDefault).acquire(
      {
        tokenUrl: options.tokenUrl,
        clientId: options.clientId,
        scopes,
        clientSecret: options.clientSecret,
      },
      this.metrics,
    );
    this.errorCacheMs = errorCacheMs;
    this.cooldownMs = cooldownMs;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.refreshAhead = refreshAhead;
    this.skewMs = skewMs;
    this.logger = deps.logger ?? new Logger(TokenProvider.name);
    const runtime: Runtime = {
      now: () => this.clock.now(),
      sleep: deps.sleep ?? abortableSleep,
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
        minLifetimeMs: skewMs,
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
      const token =
        this.serveCached(this.entry.peek()) ?? this.serveCached(await this.entry.read());
      if (token !== undefined) {
        span.setAttribute(TOKEN_SOURCE, 'cache');
        return token;
      }
      this.metrics.tokenCache?.inc(this.missLabels);
      span.setAttribute(TOKEN_SOURCE, this.entry.refreshing ? 'shared' : 'fetch');
      return (await this.fetchShared({ reason: 'miss' })).accessToken;
    });
  }

  /**
   * The token this process holds when it is valid, else `undefined` (then call
   * {@link getToken}). Counts a cache hit and starts the background refresh exactly as
   * `getToken` does; never sends a request itself.
   */
  peekToken(): string | undefined {
    const token = this.serveCached(this.entry.peek());
    if (token !== undefined)
      markSpan('m2m.token', { ...this.spanAttributes, [TOKEN_SOURCE]: 'cache' });
    return token;
  }

  private serveCached(cached: CachedToken | undefined): string | undefined {
    const now = this.clock.now();
    if (!cached || now >= cached.expiresAt) return undefined;
    this.metrics.tokenCache?.inc(this.hitLabels);
    if (now >= cached.refreshAt && !this.entry.refreshing && !this.entry.refreshPaused(now)) {
      // Failures are logged (once) and pause background refreshes; the token keeps serving.
      this.fetchShared({ reason: 'ahead' }).catch(() => undefined);
    }
    return cached.accessToken;
  }

  /** True when a valid token is cached: no request, no metrics (for readiness probes). */
  async hasValidToken(): Promise<boolean> {
    const valid = (t: CachedToken | undefined) => t !== undefined && this.clock.now() < t.expiresAt;
    // This process's copy first: a probe of a warm replica asks no shared store.
    return valid(this.entry.peek()) || valid(await this.entry.read());
  }

  /**
   * Readiness: up when a valid token is cached or the token endpoint gives one now; waits
   * at most 2 s (a slower request goes on and fills the cache for the next probe). Down,
   * naming the OAuth error, when the endpoint refuses the client: no call could succeed.
   */
  async readiness(): Promise<ProbeResult> {
    const store = this.entry.storeStatus();
    const up: ProbeResult = store === undefined ? { up: true } : { up: true, store };
    if (await this.hasValidToken()) return up;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ProbeResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ up: false, reason: 'the token endpoint has not answered yet' }),
        READINESS_WAIT_MS,
      );
    });
    const fetched = this.getToken().then(
      (): ProbeResult => up,
      (error: unknown): ProbeResult => ({
        up: false,
        reason:
          error instanceof TokenEndpointError
            ? `the token endpoint refused the client: ${error.code}`
            : 'the token endpoint is unreachable',
      }),
    );
    try {
      return await Promise.race([fetched, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Done with the token: releases the cache entry. Another provider of the same entry keeps
   * its token and its request in flight; the last one to close stops waits and requests.
   */
  close() {
    if (this.closed) return;
    this.closed = true;
    this.entry.release();
  }

  private async forceRefresh(rejectedToken?: string) {
    if (rejectedToken === undefined) {
      return (await this.fetchShared({ reason: 'miss' })).accessToken;
    }
    // Another caller's refresh may already have replaced the rejected token.
    const cached = this.entry.refreshing ? await this.inflight() : await this.entry.read();
    if (cached && cached.accessToken !== rejectedToken && this.clock.now() < cached.expiresAt) {
      return cached.accessToken;
    }
    const now = this.clock.now();
    const { refused, started } = this.entry.refusesForcedRefresh(
      rejectedToken,
      now,
      now + this.cooldownMs,
    );
    const retryAfter = Math.max(1, Math.ceil(this.cooldownMs / 1000));
    if (started) {
      this.metrics.refreshCooldowns?.inc(this.cooldownLabels);
      this.logger.warn(
        `The downstream rejected a freshly fetched token of client "${this.clientId}" (401); ` +
          `no forced token refresh for ${retryAfter} s (check the API's issuer and allowed clients)`,
      );
    }
    if (refused) throw new TokenRejectedError(this.clientId, retryAfter);
    const token = await this.fetchShared({ reason: 'rejected', rejected: rejectedToken });
    this.entry.markForced(token);
    return token.accessToken;
  }

  /** The request in flight's token, or undefined when it failed (the caller decides then). */
  private inflight(): Promise<CachedToken | undefined> {
    return this.fetchShared({ reason: 'miss' }).catch(() => undefined);
  }

  private fetchShared(intent: RefreshIntent): Promise<CachedToken> {
    const remembered = this.entry.rememberedError(this.clock.now());
    if (remembered) return Promise.reject(remembered);
    return this.entry.refresh(this.fetchToken, intent);
  }

  /** One token request (with its retries), run by the entry on its own signal. */
  private async requestToken(signal: AbortSignal): Promise<CachedToken> {
    let response: TokenResponse;
    try {
      response = await this.endpoint.requestToken(signal);
    } catch (error) {
      this.reportFailure(error);
      const now = this.clock.now();
      // Remembered before the in-flight promise settles, so no caller slips in between.
      if (error instanceof TokenEndpointError && this.errorCacheMs > 0) {
        this.entry.remember(error, now + this.errorCacheMs);
      }
      // Background refreshes pause for a while instead of asking again on every call.
      const cached = this.entry.peek();
      const left = cached ? cached.expiresAt - now : 0;
      this.entry.pauseRefresh(now + Math.min(30_000, Math.max(1_000, left / 4)));
      throw error;
    }
    const now = this.clock.now();
    const lifetimeMs = response.expiresInSeconds * 1000;
    if (this.failing) {
      this.logger.log(`Token endpoint serves client "${this.clientId}" again`);
      this.failing = undefined;
    }
    this.entry.pauseRefresh(0);
    return {
      accessToken: response.accessToken,
      expiresAt: now + Math.max(lifetimeMs - this.skewMs, lifetimeMs / 2),
      refreshAt: now + lifetimeMs * this.refreshAhead,
    };
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
