import { Logger } from '@nestjs/common';
import type { Attributes } from '@opentelemetry/api';
import type { ProbeResult, TokenReadiness } from '../shared/readiness.js';
import { inSpan, markSpan } from '../shared/spans.js';
import { abortableSleep } from './backoff.js';
import type { ClientSecretSource } from './client-secret.js';
import {
  ClientSecretUnavailableError,
  SharedCacheUnavailableError,
  TokenEndpointError,
  TokenRejectedError,
} from './client.errors.js';
import { m2mClientMetrics, type M2MClientMetrics } from './client.metrics.js';
import { EntryCipher } from './entry-cipher.js';
import { jitteredRefreshAt, type LeasedResult, type LeasedSource, leasedFetch } from './lease.js';
import { type CachedToken, type HeldSlot, TokenSlots } from './token-cache.js';
import type { TokenCacheStore } from './token-cache.store.js';
import { type Runtime, TokenRequester, type TokenResponse } from './token-request.js';
import {
  providerSettings,
  type ProviderSettings,
  type TokenClock,
  type TokenProviderDeps,
  type TokenProviderOptions,
} from './token-provider.options.js';

/**
 * The store entry of one secret: its name and sealing (from the secret), and the slot the
 * providers of that entry share in this process.
 */
interface Entry extends HeldSlot {
  readonly secret: string;
  readonly cipher: EntryCipher;
}

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
 * (token source, client, scope set, client metadata) per token lifetime: cached, shared by
 * concurrent callers (single flight), refreshed in the background ahead of expiry while the
 * current token keeps serving, and served while the issuer is down for as long as it is
 * valid. With a `cache` store, across the replicas of a fleet too. Tokens come from the
 * token endpoint or, with `transport: 'api'`, from Cognito's `GetClientToken`; the secret
 * may come from a source that changes while the client runs (a file, Secrets Manager).
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
  /** The entry of the secret in hand; `undefined` until the secret source's first read. */
  private entry: Entry | undefined;
  /** The store this provider shares tokens through, if any. */
  private readonly store: TokenCacheStore | undefined;
  /** The options, checked and defaulted (the transport and the store's lease timings among them). */
  private readonly settings: ProviderSettings;
  /** Where the secret comes from (a fixed one for a string option). */
  private readonly secrets: ClientSecretSource;
  private readonly clock: TokenClock;
  private readonly runtime: Runtime;
  private readonly requester: TokenRequester;
  private readonly logger: Pick<Logger, 'warn' | 'log' | 'error'>;
  private readonly hitLabels: { client_id: string; result: 'hit' };
  private readonly missLabels: { client_id: string; result: 'miss' };
  /** Of every `m2m.token` span: which client, scopes and transport (never a secret or token). */
  private readonly spanAttributes: Attributes;
  /** The token endpoint's failure being reported (one log line per outage or OAuth error). */
  private failing: string | undefined;
  private closed = false;

  constructor(options: TokenProviderOptions, deps: TokenProviderDeps = {}) {
    const settings = (this.settings = providerSettings(options));
    this.clientId = options.clientId;
    this.store = options.cache;
    this.secrets = settings.secrets;
    this.hitLabels = { client_id: options.clientId, result: 'hit' };
    this.missLabels = { client_id: options.clientId, result: 'miss' };
    this.spanAttributes = {
      'oauth.client_id': options.clientId,
      'oauth.scope': settings.scopes.join(' '),
      'm2m.token.transport': settings.transport.kind,
    };
    this.metrics = m2mClientMetrics(deps.registry);
    this.clock = options.clock ?? Date;
    this.logger = deps.logger ?? new Logger(TokenProvider.name);
    this.runtime = {
      now: this.clock.now.bind(this.clock),
      sleep: deps.sleep ?? abortableSleep,
      random: deps.random ?? Math.random,
    };
    this.requester = new TokenRequester(
      settings.transport,
      {
        clientId: options.clientId,
        timeoutMs: options.tokenTimeoutMs ?? 5_000,
        retry: settings.retry,
        minLifetimeMs: settings.skewMs,
      },
      this.runtime,
      this.metrics,
    );
    // A secret in hand now (an option, a file) takes its entry now; a remote one at first use.
    this.current();
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
      const entry = this.current();
      const token =
        entry &&
        (this.serve(entry, entry.slot.token) ?? this.serve(entry, await this.newest(entry)));
      if (token !== undefined) {
        span.setAttribute(TOKEN_SOURCE, 'cache');
        return token;
      }
      this.metrics.tokenCache?.inc(this.missLabels);
      span.setAttribute(TOKEN_SOURCE, entry?.slot.inflight ? 'shared' : 'fetch');
      return (await this.renew(entry, { reason: 'miss' })).accessToken;
    });
  }

  /**
   * The token this process holds when it is valid, else `undefined` (then call
   * {@link getToken}). Counts a cache hit and starts the background refresh exactly as
   * `getToken` does; never sends a request itself.
   */
  peekToken(): string | undefined {
    const entry = this.current();
    const token = entry && this.serve(entry, entry.slot.token);
    if (token !== undefined)
      markSpan('m2m.token', { ...this.spanAttributes, [TOKEN_SOURCE]: 'cache' });
    return token;
  }

  /** True when a valid token is cached: no request, no metrics (for readiness probes). */
  async hasValidToken(): Promise<boolean> {
    const entry = this.current();
    if (!entry) return false;
    const valid = (t: CachedToken | undefined) => t !== undefined && this.clock.now() < t.expiresAt;
    // This process's copy first: a probe of a warm replica asks no store.
    return valid(entry.slot.token) || valid(await this.newest(entry));
  }

  /**
   * Readiness: up when a valid token is cached or the token endpoint gives one now; waits
   * at most 2 s (a slower request goes on and fills the cache for the next probe). Down,
   * naming the OAuth error, when the endpoint refuses the client: no call could succeed;
   * down too while the secret source gives no secret.
   * A store's state is detail (`store`): a store that is down leaves the client up.
   */
  async readiness(): Promise<ProbeResult> {
    const outage = this.entry?.scope.outage;
    const name = this.store?.name.toLowerCase();
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
            : error instanceof ClientSecretUnavailableError
              ? `the client secret (${error.source}) could not be read: ${error.reason}`
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
    this.entry?.release();
  }

  // The secret: one entry per secret, moved to when the source gives another.

  /**
   * The entry of the source's secret now (a field read: the source looks at itself in the
   * background), moving to a new one when the secret changed; `undefined` before the
   * source's first read.
   */
  private current(): Entry | undefined {
    const secret = this.secrets.current();
    const { entry } = this;
    if (secret === undefined || secret === entry?.secret || this.closed) return entry;
    return this.move(secret);
  }

  /** The entry, reading the source first when it has given no secret yet. */
  private async ready(): Promise<Entry> {
    const entry = this.current();
    if (entry) return entry;
    const secret = await this.secrets.reload();
    return this.entry?.secret === secret ? this.entry : this.move(secret);
  }

  /**
   * The entry of another secret: another name in the store (a wrong or old secret never
   * reads a token asked for with the right one), its own slot here. The token in hand, still
   * valid, keeps serving there and is refreshed now in the background: with a store, one
   * replica asks with the new secret and the others read its token.
   */
  private move(secret: string): Entry {
    const previous = this.entry;
    const cipher = new EntryCipher({ ...this.settings.identity, clientSecret: secret });
    const held = TokenSlots.process.acquire(this.store, cipher.id);
    const entry: Entry = { secret, cipher, ...held };
    this.entry = entry;
    if (!previous) return entry;
    const now = this.clock.now();
    const token = previous.slot.token;
    if (!entry.slot.token && token && now < token.expiresAt) {
      entry.slot.token = { ...token, refreshAt: now };
    }
    // A request in flight there (callers may be waiting on it) finishes before the entry goes.
    const { inflight } = previous.slot;
    if (inflight) void inflight.then(previous.release, previous.release);
    else previous.release();
    this.metrics.secretChanges?.inc({ client_id: this.clientId, source: this.secrets.kind });
    this.logger.log(
      `The client secret of "${this.clientId}" changed (${this.secrets.kind}): ` +
        'new tokens are asked for with it',
    );
    return entry;
  }

  // The refresh policy, in the order a call meets it. All of it works on an entry's slot,
  // which the providers of the entry in this process share.

  /** `cached` when it is valid, starting the refresh ahead of expiry when that is due. */
  private serve(entry: Entry, cached: CachedToken | undefined): string | undefined {
    const now = this.clock.now();
    if (!cached || now >= cached.expiresAt) return undefined;
    this.metrics.tokenCache?.inc(this.hitLabels);
    const { slot } = entry;
    if (now >= cached.refreshAt && !slot.inflight && now >= slot.refreshPausedUntil) {
      // A failure is logged (once) and pauses background refreshes; the token keeps serving.
      this.renew(entry, { reason: 'ahead' }).catch(() => undefined);
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
    const entry = await this.ready();
    if (rejected === undefined) return (await this.renew(entry, { reason: 'miss' })).accessToken;
    const { slot } = entry;
    // Another caller's refresh may already have replaced it.
    const current = slot.inflight
      ? await slot.inflight.catch(() => undefined)
      : await this.newest(entry);
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
    const token = await this.renew(entry, { reason: 'rejected', rejected });
    // The entry the token is in: another one when the secret changed on the way.
    const held = this.entry ?? entry;
    if (held.slot.forced?.accessToken !== token.accessToken) {
      held.slot.forced = { accessToken: token.accessToken, cooledDown: false };
    }
    return token.accessToken;
  }

  /**
   * A new token (see {@link fetch}). When the issuer refused the secret (`invalid_client`)
   * and the source, read again on that refusal, now gives another one: once more, in that
   * secret's entry (where another replica may already have the token). The same secret is
   * never sent again for this call.
   */
  private async renew(known: Entry | undefined, intent: Intent): Promise<CachedToken> {
    const entry = known ?? (await this.ready());
    try {
      return await this.fetch(entry, intent);
    } catch (error) {
      if (!(error instanceof TokenEndpointError) || error.code !== 'invalid_client') throw error;
      const next = this.current();
      if (!next || next === entry || next.secret === entry.secret) throw error;
      // The new secret's entry may hold what this call wants (from this process or another
      // replica): valid, and not the token being replaced.
      const replacing =
        intent.reason === 'rejected'
          ? intent.rejected
          : intent.reason === 'ahead'
            ? entry.slot.token?.accessToken
            : undefined;
      const held = await this.newest(next);
      if (held && this.clock.now() < held.expiresAt && held.accessToken !== replacing) return held;
      return this.fetch(next, intent);
    }
  }

  /**
   * A new token for the entry: the request in flight when there is one (single flight: the
   * entry's providers in this process join it), an OAuth error while it is remembered (no
   * request), else a new request: through the store when there is one, which may answer
   * with another replica's token.
   */
  private fetch(entry: Entry, intent: Intent): Promise<CachedToken> {
    const { slot } = entry;
    if (slot.error && this.clock.now() < slot.error.until) return Promise.reject(slot.error.error);
    slot.inflight ??= (async () => {
      const { store } = entry.scope;
      const token = store
        ? await this.fetchShared(entry, store, intent)
        : await this.request(entry);
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
  private async fetchShared(
    entry: Entry,
    store: TokenCacheStore,
    intent: Intent,
  ): Promise<CachedToken> {
    const { slot } = entry;
    const current = slot.token;
    const ahead = intent.reason === 'ahead' && current !== undefined;
    const rejected = intent.reason === 'rejected' ? intent.rejected : undefined;
    const result = await leasedFetch(
      store,
      entry.cipher,
      () => this.request(entry),
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
      this.storeAnswered(entry, undefined);
      slot.refreshPausedUntil = this.clock.now() + this.settings.lease.pollMs * 8;
      return current!;
    }
    this.observeLeased(entry, store, result);
    if (result.raw !== undefined) {
      slot.stored = { accessToken: result.token.accessToken, raw: result.raw };
    }
    return this.localize(store, result.token);
  }

  /**
   * One token request (with its retries) with the entry's secret, on the entry's signal. An
   * OAuth error is remembered for `errorCacheMs`; any failure pauses background refreshes
   * for a while. `invalid_client` has the secret source read again before the error goes
   * on (see {@link renew}).
   */
  private async request(entry: Entry): Promise<CachedToken> {
    const { slot } = entry;
    let response: TokenResponse;
    try {
      response = await this.requester.requestToken(entry.secret, slot.signal);
    } catch (error) {
      const refused = error instanceof TokenEndpointError && error.code === 'invalid_client';
      // Rotated under us? A failed read keeps the secret in hand: the refusal stands.
      if (refused) await this.secrets.reload().catch(() => undefined);
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
  private async newest(entry: Entry): Promise<CachedToken | undefined> {
    const { store } = entry.scope;
    const { slot } = entry;
    if (!store) return slot.token;
    let raw: string | undefined;
    try {
      raw = await store.get(entry.cipher.id);
      this.storeAnswered(entry, undefined);
    } catch (error) {
      this.storeAnswered(entry, error);
      this.observeShared(entry, 'unavailable');
      return slot.token;
    }
    // Absent, corrupt, another secret's, expired by our clock: a miss.
    const token = raw === undefined ? undefined : entry.cipher.open(raw);
    if (raw === undefined || !token || this.clock.now() >= token.expiresAt) {
      this.observeShared(entry, 'miss');
      return slot.token;
    }
    this.observeShared(entry, 'hit');
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
  private storeAnswered({ scope }: Entry, error: unknown) {
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
  private observeLeased(
    entry: Entry,
    store: TokenCacheStore,
    { source, waited, storeError }: LeasedResult,
  ) {
    this.storeAnswered(entry, storeError);
    const unavailable = source === 'fallback' && storeError !== undefined;
    const hit = source === 'shared' && !waited;
    this.observeShared(entry, unavailable ? 'unavailable' : hit ? 'hit' : 'miss');
    const outcome = LEASE_OUTCOME[source];
    if (store.lease && outcome && !hit) {
      this.metrics.sharedLease?.inc({ client_id: this.clientId, outcome });
    }
  }

  private observeShared({ scope }: Entry, result: 'hit' | 'miss' | 'unavailable') {
    this.metrics.sharedCache?.inc({ client_id: this.clientId, result });
    this.metrics.sharedCacheAvailable?.set(scope.outage ? 0 : 1);
  }
}
