import { Logger } from '@nestjs/common';
import type { Attributes } from '@opentelemetry/api';
import type { ProbeResult, TokenReadiness } from '../shared/readiness.js';
import { inSpan, markSpan } from '../shared/spans.js';
import { abortableSleep } from './backoff.js';
import {
  SharedCacheUnavailableError,
  TokenEndpointError,
  TokenRejectedError,
} from './client.errors.js';
import { m2mClientMetrics, type M2MClientMetrics } from './client.metrics.js';
import { EntryCipher } from './entry-cipher.js';
import { jitteredRefreshAt, type LeasedResult, type LeasedSource, leasedFetch } from './lease.js';
import { type CachedToken, type StoreScope, type TokenSlot, TokenSlots } from './token-cache.js';
import type { TokenCacheStore } from './token-cache.store.js';
import { type Runtime, TokenEndpointClient, type TokenResponse } from './token-endpoint.js';
import {
  providerSettings,
  type ProviderSettings,
  type TokenClock,
  type TokenProviderDeps,
  type TokenProviderOptions,
} from './token-provider.options.js';

/** How long a readiness probe waits for a first token. */
const READINESS_WAIT_MS = 2_000;

/**
 * Why a token is fetched: `miss` (no valid token here), `ahead` (a refresh ahead of expiry:
 * the current token keeps serving), `rejected` (the downstream answered 401 to `rejected`).
 */
type Intent = { reason: 'miss' } | { reason: 'ahead' } | { reason: 'rejected'; rejected: string };

/**
 * Where an `m2m.token` span's token came from: `cache`, `fetch` (this call sent the
 * request), `shared` (it joined a request in flight) or `refresh` (forced, after a 401).
 */
const TOKEN_SOURCE = 'm2m.token.source';

/** `m2m_token_shared_lease_total`'s outcome for how a store's token was had (with a lease). */
const LEASE_OUTCOME: Record<LeasedSource, string | undefined> = {
  shared: 'waited',
  leased: 'acquired',
  fetched: undefined,
  fallback: 'fallback',
};

/**
 * Gets OAuth 2.0 client-credentials tokens and keeps the cost at one token request per
 * (token URL, client, scope set) per token lifetime: cached, shared by concurrent callers
 * (single flight), refreshed in the background ahead of expiry while the current token
 * keeps serving, and served while the issuer is down for as long as it is valid. With a
 * `cache` store, across the replicas of a fleet too.
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
  /**
   * The metrics of this client (from `deps.registry`), shared with the HTTP interceptors so
   * they are looked up once per client.
   * @internal
   */
  readonly metrics: M2MClientMetrics;
  /** What the providers of this entry share in this process (the policy below changes it). */
  private readonly slot: TokenSlot;
  /** The store (if any) and its health, shared by its providers in this process. */
  private readonly scope: StoreScope;
  private readonly releaseSlot: () => void;
  /** The entry's name in the store and the sealing of its value, both from the secret. */
  private readonly cipher: EntryCipher;
  /** The options, checked and defaulted (the store's lease timings among them). */
  private readonly settings: ProviderSettings;
  private readonly clock: TokenClock;
  private readonly runtime: Runtime;
  private readonly endpoint: TokenEndpointClient;
  private readonly logger: Pick<Logger, 'warn' | 'log' | 'error'>;
  private readonly hitLabels: { client_id: string; result: 'hit' };
  private readonly missLabels: { client_id: string; result: 'miss' };
  /** Of every `m2m.token` span: which client and scopes (never the secret, never a token). */
  private readonly spanAttributes: Attributes;
  /** The token endpoint's failure being reported (one log line per outage or OAuth error). */
  private failing: string | undefined;
  private closed = false;

  constructor(options: TokenProviderOptions, deps: TokenProviderDeps = {}) {
    const settings = (this.settings = providerSettings(options));
    const scopes = [...new Set(options.scopes ?? [])].sort();
    this.clientId = options.clientId;
    this.hitLabels = { client_id: options.clientId, result: 'hit' };
    this.missLabels = { client_id: options.clientId, result: 'miss' };
    this.spanAttributes = { 'oauth.client_id': options.clientId, 'oauth.scope': scopes.join(' ') };
    this.metrics = m2mClientMetrics(deps.registry);
    this.clock = options.clock ?? Date;
    this.logger = deps.logger ?? new Logger(TokenProvider.name);
    this.runtime = {
      now: this.clock.now.bind(this.clock),
      sleep: deps.sleep ?? abortableSleep,
      random: deps.random ?? Math.random,
    };
    this.endpoint = new TokenEndpointClient(
      {
        tokenUrl: options.tokenUrl,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        scopes,
        authMethod: settings.authMethod,
        timeoutMs: options.tokenTimeoutMs ?? 5_000,
        retry: settings.retry,
        minLifetimeMs: settings.skewMs,
      },
      this.runtime,
      this.metrics,
    );
    this.cipher = new EntryCipher({
      source: options.tokenUrl,
      clientId: options.clientId,
      scopes,
      clientSecret: options.clientSecret,
    });
    const held = TokenSlots.process.acquire(options.cache, this.cipher.id);
    this.slot = held.slot;
    this.scope = held.scope;
    this.releaseSlot = held.release;
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
        return this.replaceRejected(options.rejectedToken);
      }
      const token = this.serve(this.slot.token) ?? this.serve(await this.newest());
      if (token !== undefined) {
        span.setAttribute(TOKEN_SOURCE, 'cache');
        return token;
      }
      this.metrics.tokenCache?.inc(this.missLabels);
      span.setAttribute(TOKEN_SOURCE, this.slot.inflight ? 'shared' : 'fetch');
      return (await this.fetch({ reason: 'miss' })).accessToken;
    });
  }

  /**
   * The token this process holds when it is valid, else `undefined` (then call
   * {@link getToken}). Counts a cache hit and starts the background refresh exactly as
   * `getToken` does; never sends a request itself.
   */
  peekToken(): string | undefined {
    const token = this.serve(this.slot.token);
    if (token !== undefined)
      markSpan('m2m.token', { ...this.spanAttributes, [TOKEN_SOURCE]: 'cache' });
    return token;
  }

  /** True when a valid token is cached: no request, no metrics (for readiness probes). */
  async hasValidToken(): Promise<boolean> {
    const valid = (t: CachedToken | undefined) => t !== undefined && this.clock.now() < t.expiresAt;
    // This process's copy first: a probe of a warm replica asks no store.
    return valid(this.slot.token) || valid(await this.newest());
  }

  /**
   * Readiness: up when a valid token is cached or the token endpoint gives one now; waits
   * at most 2 s (a slower request goes on and fills the cache for the next probe). Down,
   * naming the OAuth error, when the endpoint refuses the client: no call could succeed.
   * A store's state is detail (`store`): a store that is down leaves the client up.
   */
  async readiness(): Promise<ProbeResult> {
    const { store, outage } = this.scope;
    const name = store?.name.toLowerCase();
    const up: ProbeResult =
      name === undefined
        ? { up: true }
        : {
            up: true,
            store: outage
              ? `${name}: unavailable since ${new Date(outage.since).toISOString()} ` +
                `(${outage.reason}); this replica uses its own cache`
              : `${name}: shared`,
          };
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
   * Done with the token: releases the entry. Another provider of the same entry keeps its
   * token and its request in flight; the last one to close stops waits and requests (and
   * the last one of a store closes it).
   */
  close() {
    if (this.closed) return;
    this.closed = true;
    this.releaseSlot();
  }

  // The refresh policy, in the order a call meets it. All of it works on `slot`, which
  // the providers of the entry in this process share.

  /** `cached` when it is valid, starting the refresh ahead of expiry when that is due. */
  private serve(cached: CachedToken | undefined): string | undefined {
    const now = this.clock.now();
    if (!cached || now >= cached.expiresAt) return undefined;
    this.metrics.tokenCache?.inc(this.hitLabels);
    const { slot } = this;
    if (now >= cached.refreshAt && !slot.inflight && now >= slot.refreshPausedUntil) {
      // A failure is logged (once) and pauses background refreshes; the token keeps serving.
      this.fetch({ reason: 'ahead' }).catch(() => undefined);
    }
    return cached.accessToken;
  }

  /**
   * After the downstream answered 401 to `rejected`: another token, one request however
   * many calls saw the 401. When `rejected` is itself what a forced refresh produced, the
   * downstream refuses fresh tokens: no forced refresh for `rejectionCooldownMs` (no token
   * storm against the issuer); calls meanwhile fail with `TokenRejectedError`.
   */
  private async replaceRejected(rejected: string | undefined): Promise<string> {
    if (rejected === undefined) return (await this.fetch({ reason: 'miss' })).accessToken;
    const { slot } = this;
    // Another caller's refresh may already have replaced it.
    const current = slot.inflight
      ? await slot.inflight.catch(() => undefined)
      : await this.newest();
    if (current && current.accessToken !== rejected && this.clock.now() < current.expiresAt) {
      return current.accessToken;
    }
    const now = this.clock.now();
    const retryAfter = Math.max(1, Math.ceil(this.settings.cooldownMs / 1000));
    if (now < slot.cooldownUntil) throw new TokenRejectedError(this.clientId, retryAfter);
    if (slot.forced?.accessToken === rejected && !slot.forced.cooledDown) {
      slot.forced.cooledDown = true;
      slot.cooldownUntil = now + this.settings.cooldownMs;
      this.metrics.refreshCooldowns?.inc({ client_id: this.clientId });
      this.logger.warn(
        `The downstream rejected a freshly fetched token of client "${this.clientId}" (401); ` +
          `no forced token refresh for ${retryAfter} s (check the API's issuer and allowed clients)`,
      );
      throw new TokenRejectedError(this.clientId, retryAfter);
    }
    const token = await this.fetch({ reason: 'rejected', rejected });
    if (slot.forced?.accessToken !== token.accessToken) {
      slot.forced = { accessToken: token.accessToken, cooledDown: false };
    }
    return token.accessToken;
  }

  /**
   * A new token for the entry: the request in flight when there is one (single flight: the
   * entry's providers in this process join it), an OAuth error while it is remembered (no
   * request), else a new request: through the store when there is one, which may answer
   * with another replica's token.
   */
  private fetch(intent: Intent): Promise<CachedToken> {
    const { slot } = this;
    if (slot.error && this.clock.now() < slot.error.until) return Promise.reject(slot.error.error);
    slot.inflight ??= (async () => {
      const { store } = this.scope;
      const token = store ? await this.fetchShared(store, intent) : await this.request();
      slot.token = token;
      slot.error = undefined;
      return token;
    })().finally(() => {
      slot.inflight = undefined;
    });
    return slot.inflight;
  }

  /**
   * Through the store: a token another replica stored, or one this replica fetches (under
   * the store's lease, while the others wait for it). A refresh ahead does not wait: while
   * another replica refreshes, the current token keeps serving and this one looks later.
   */
  private async fetchShared(store: TokenCacheStore, intent: Intent): Promise<CachedToken> {
    const { slot } = this;
    const current = slot.token;
    const ahead = intent.reason === 'ahead' && current !== undefined;
    const rejected = intent.reason === 'rejected' ? intent.rejected : undefined;
    const result = await leasedFetch(
      store,
      this.cipher,
      () => this.request(),
      {
        known: slot.stored?.accessToken === current?.accessToken ? slot.stored?.raw : undefined,
        // Valid, and: ahead of expiry, newer than ours; after a 401, any other.
        usable: (t) =>
          this.clock.now() < t.expiresAt &&
          t.accessToken !== rejected &&
          !(ahead && t.expiresAt <= current.expiresAt),
        waitMs: this.settings.lease.waitMs,
        background: ahead,
        signal: slot.signal,
      },
      this.settings.lease,
      this.runtime,
    );
    if (!result) {
      this.storeAnswered(undefined);
      slot.refreshPausedUntil = this.clock.now() + this.settings.lease.pollMs * 8;
      return current!;
    }
    this.observeLeased(store, result);
    if (result.raw !== undefined) {
      slot.stored = { accessToken: result.token.accessToken, raw: result.raw };
    }
    return this.localize(store, result.token);
  }

  /**
   * One token request (with its retries), on the entry's signal. An OAuth error is
   * remembered for `errorCacheMs`; any failure pauses background refreshes for a while.
   */
  private async request(): Promise<CachedToken> {
    const { slot } = this;
    let response: TokenResponse;
    try {
      response = await this.endpoint.requestToken(slot.signal);
    } catch (error) {
      this.reportFailure(error);
      const now = this.clock.now();
      // Remembered before the request in flight settles, so no caller slips in between.
      if (error instanceof TokenEndpointError && this.settings.errorCacheMs > 0) {
        slot.error = { error, until: now + this.settings.errorCacheMs };
      }
      // Background refreshes pause for a while instead of asking again on every call.
      const left = slot.token ? slot.token.expiresAt - now : 0;
      slot.refreshPausedUntil = now + Math.min(30_000, Math.max(1_000, left / 4));
      throw error;
    }
    const now = this.clock.now();
    const lifetimeMs = response.expiresInSeconds * 1000;
    if (this.failing) {
      this.logger.log(`Token endpoint serves client "${this.clientId}" again`);
      this.failing = undefined;
    }
    slot.refreshPausedUntil = 0;
    return {
      accessToken: response.accessToken,
      expiresAt: now + Math.max(lifetimeMs - this.settings.skewMs, lifetimeMs / 2),
      refreshAt: now + lifetimeMs * this.settings.refreshAhead,
    };
  }

  /** One log line per outage of the token endpoint (or per distinct OAuth error). */
  private reportFailure(error: unknown) {
    const kind = error instanceof TokenEndpointError ? error.code : 'unavailable';
    if (this.failing === kind) return;
    this.failing = kind;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof TokenEndpointError) this.logger.error(message);
    else this.logger.warn(`${message}; a cached token keeps serving until it expires`);
  }

  // The store: read when this process has no valid token, its failures never a call's.

  /** This process's token, replaced by the store's when that one lasts longer. */
  private async newest(): Promise<CachedToken | undefined> {
    const { store } = this.scope;
    if (!store) return this.slot.token;
    let raw: string | undefined;
    try {
      raw = await store.get(this.cipher.id);
      this.storeAnswered(undefined);
    } catch (error) {
      this.storeAnswered(error);
      this.observeShared('unavailable');
      return this.slot.token;
    }
    // Absent, corrupt, another secret's, expired by our clock: a miss.
    const token = raw === undefined ? undefined : this.cipher.open(raw);
    if (raw === undefined || !token || this.clock.now() >= token.expiresAt) {
      this.observeShared('miss');
      return this.slot.token;
    }
    this.observeShared('hit');
    const { slot } = this;
    slot.stored = { accessToken: token.accessToken, raw };
    if (!slot.token || token.expiresAt > slot.token.expiresAt)
      slot.token = this.localize(store, token);
    return slot.token;
  }

  /**
   * A store's token as this replica keeps it: with a lease, its own refresh point, spread
   * from the other replicas' so that the first to reach it refreshes for the fleet.
   */
  private localize(store: TokenCacheStore, token: CachedToken): CachedToken {
    if (!store.lease) return token;
    const jittered = jitteredRefreshAt(token, this.runtime.random);
    return {
      ...token,
      refreshAt: Math.min(jittered, token.refreshAt + this.settings.lease.refreshSpreadMs),
    };
  }

  /** One warning per outage of the store (for all its providers here), one line at its end. */
  private storeAnswered(error: unknown) {
    const { scope } = this;
    const name = scope.store?.name;
    if (error === undefined) {
      if (!scope.outage) return;
      scope.outage = undefined;
      this.logger.log(`Shared token cache (${name}) is available again: replicas share tokens`);
      return;
    }
    if (scope.outage) return;
    // An identifier only: a store's words never reach a log line unchecked.
    const named = error instanceof SharedCacheUnavailableError ? error.reason : '';
    const reason = /^[\w.-]{1,40}$/.test(named)
      ? named
      : error instanceof Error
        ? error.name
        : typeof error;
    scope.outage = { since: this.clock.now(), reason };
    this.logger.warn(
      `Shared token cache (${name}) unavailable (${reason}); each replica uses its own ` +
        'in-process cache until it returns (logged once per outage)',
    );
  }

  /** How a token request through the store went, in the store's metrics. */
  private observeLeased(store: TokenCacheStore, { source, waited, storeError }: LeasedResult) {
    this.storeAnswered(storeError);
    const unavailable = source === 'fallback' && storeError !== undefined;
    const hit = source === 'shared' && !waited;
    this.observeShared(unavailable ? 'unavailable' : hit ? 'hit' : 'miss');
    const outcome = LEASE_OUTCOME[source];
    if (store.lease && outcome && !hit) {
      this.metrics.sharedLease?.inc({ client_id: this.clientId, outcome });
    }
  }

  private observeShared(result: 'hit' | 'miss' | 'unavailable') {
    this.metrics.sharedCache?.inc({ client_id: this.clientId, result });
    this.metrics.sharedCacheAvailable?.set(this.scope.outage ? 0 : 1);
  }
}
