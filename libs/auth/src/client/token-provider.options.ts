import type { Logger } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { numberOption } from '../shared/number-option.js';
import { DEFAULT_RETRY, type RetryOptions } from './backoff.js';
import { canonicalMetadata, type ClientMetadata } from './client-metadata.js';
import { type ClientSecretSource, fixedSecret } from './client-secret.js';
import { M2MClientConfigError } from './client.errors.js';
import { getClientTokenTransport } from './get-client-token.js';
import { leaseSettings } from './lease.js';
import type { TokenCacheStore } from './token-cache.store.js';
import { type ClientAuthMethod, tokenEndpointTransport } from './token-endpoint.js';
import type { TokenTransport, TokenTransportKind } from './token-request.js';

/** A source of the current time in epoch milliseconds (tests pass a fake one). */
export interface TokenClock {
  now(): number;
}

/** What a {@link TokenProvider} needs to get client-credentials tokens. */
export interface TokenProviderOptions {
  /**
   * How tokens are asked for: `'token-endpoint'` (default; `tokenUrl`) or `'api'`
   * (Cognito's `GetClientToken` at `apiEndpoint`, for an app client whose only explicit flow
   * is `ALLOW_CLIENT_TOKEN_AUTH`; the pool needs no domain). Everything else (caching, single
   * flight, shared cache, refresh ahead, retries, deadlines, metrics) is the same.
   */
  transport?: TokenTransportKind;
  /**
   * The token endpoint, e.g. `https://my-fleet.auth.eu-west-1.amazoncognito.com/oauth2/token`.
   * Required with the `'token-endpoint'` transport.
   */
  tokenUrl?: string;
  /**
   * The Cognito API endpoint, e.g. `https://cognito-idp.eu-west-1.amazonaws.com/`
   * (`cognitoApiEndpoint(region)`), or the emulator's base URL. Required with `'api'`.
   */
  apiEndpoint?: string;
  clientId: string;
  /**
   * The secret, or where to read it while the client runs (`FileClientSecret`,
   * `SecretsManagerClientSecret`, a {@link ClientSecretSource} of your own): when the issuer
   * answers `invalid_client`, the source is read again once and, if the secret changed,
   * the request is made again with it; a secret that did not change is never sent again.
   */
  clientSecret: string | ClientSecretSource;
  /** Full scope names (`weather-api/forecast.read`). Empty: every scope the client is allowed. */
  scopes?: readonly string[];
  /**
   * For a pre token generation trigger (Cognito V3, client credentials): string keys and
   * values, at most 4 KiB as JSON; sent as `aws_client_metadata` (token endpoint) or
   * `ClientMetadata` (API). Part of the token's cache entry: two values never share a token.
   * Cognito does not encrypt it: no secrets.
   */
  clientMetadata?: ClientMetadata;
  /** At the token endpoint. Default `client_secret_basic`. */
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

/** `value` as an absolute http(s) URL, or `fail` naming `option`. */
function httpUrl(
  option: string,
  value: string | undefined,
  fail: (name: string, why: string) => never,
) {
  if (value === undefined || value === '') return fail(option, 'is required');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(option, 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(option, 'must be http(s)');
  return value;
}

/** A fraction of a lifetime: in (0, 1]. */
const UNIT_FRACTION = { min: 0, exclusiveMin: true, max: 1 } as const;

/** Checks the options and returns the defaulted values the provider uses. */
export function providerSettings(options: TokenProviderOptions) {
  const fail = (name: string, why: string): never => {
    throw new M2MClientConfigError(name, why);
  };
  const kind = options.transport ?? 'token-endpoint';
  if (kind !== 'token-endpoint' && kind !== 'api')
    fail('transport', 'must be token-endpoint or api');
  const [option, other] =
    kind === 'api'
      ? (['apiEndpoint', 'tokenUrl'] as const)
      : (['tokenUrl', 'apiEndpoint'] as const);
  const where = httpUrl(option, options[option], fail);
  if (options[other] !== undefined) fail(other, `is not used with the ${kind} transport`);
  if (!options.clientId) fail('clientId', 'is required');
  if (!options.clientSecret) fail('clientSecret', 'is required');
  const ahead = numberOption('refreshAhead', options.refreshAhead, 0.75, UNIT_FRACTION, fail);
  const method = options.authMethod ?? 'client_secret_basic';
  if (method !== 'client_secret_basic' && method !== 'client_secret_post')
    fail('authMethod', 'must be client_secret_basic or client_secret_post');
  if (
    kind === 'token-endpoint' &&
    method === 'client_secret_basic' &&
    options.clientId?.includes(':')
  )
    fail('clientId', 'cannot contain ":" with client_secret_basic; use client_secret_post');
  const metadata = canonicalMetadata(options.clientMetadata, (why) => fail('clientMetadata', why));
  const scopes = [...new Set(options.scopes ?? [])].sort();
  const ask = { clientId: options.clientId, scopes, metadata };
  const transport: TokenTransport =
    kind === 'api'
      ? getClientTokenTransport({ ...ask, endpoint: where })
      : tokenEndpointTransport({ ...ask, tokenUrl: where, authMethod: method });
  const secrets =
    typeof options.clientSecret === 'string'
      ? fixedSecret(options.clientSecret)
      : options.clientSecret;
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
    transport,
    secrets,
    scopes,
    /** What names the cache entry besides the secret. */
    identity: { source: transport.source, clientId: options.clientId, scopes, metadata },
    refreshAhead: ahead,
    errorCacheMs,
    cooldownMs,
    skewMs,
    retry,
    lease,
  };
}

export type ProviderSettings = ReturnType<typeof providerSettings>;
