import type { Logger } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { numberOption } from '../shared/number-option.js';
import { DEFAULT_RETRY, type RetryOptions } from './backoff.js';
import { M2MClientConfigError } from './client.errors.js';
import { leaseSettings } from './lease.js';
import type { TokenCacheStore } from './token-cache.store.js';
import type { ClientAuthMethod } from './token-endpoint.js';

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
   * Where the replicas of a fleet share tokens (`RedisTokenCacheStore`, or a
   * {@link TokenCacheStore} of your own). Either way, the providers of this process with the
   * same store (or none) and the same token URL, client, secret and scopes share one token,
   * one request in flight and a remembered error; an entry goes with the last provider
   * using it. Default: none, tokens are shared within this process only.
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

/** A fraction of a lifetime: in (0, 1]. */
const UNIT_FRACTION = { min: 0, exclusiveMin: true, max: 1 } as const;

/** Checks the options and returns the defaulted values the provider uses. */
export function providerSettings(options: TokenProviderOptions) {
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
  const lease = leaseSettings(options.cache?.lease, fail);
  return {
    refreshAhead: ahead,
    authMethod: method,
    errorCacheMs,
    cooldownMs,
    skewMs,
    retry,
    lease,
  };
}

export type ProviderSettings = ReturnType<typeof providerSettings>;
