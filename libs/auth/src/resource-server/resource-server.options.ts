import {
  COGNITO_ISSUER_TYPES,
  cognitoIssuer,
  type CognitoIssuerType,
} from '../cognito/cognito-urls.js';
import type { RevocationListOptions } from '../revocation/revocation-list.js';
import { DEFAULT_JWKS_MAX_BYTES } from './jwks-fetcher.js';
import { ResourceServerConfigError } from './resource-server.errors.js';
import { numberOption } from '../shared/number-option.js';

/**
 * Options of {@link ResourceServerModule}. Give `issuer`, or `region` + `userPoolId` for
 * Cognito (then both of the pool's issuer forms are trusted).
 */
export interface ResourceServerModuleOptions {
  /**
   * The trusted issuer, the exact `iss` of the tokens accepted, e.g.
   * `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123`; or several, while tokens
   * of more than one are in flight (a pool changing its issuer type, a move to another pool).
   * Each has a key set of its own (`{issuer}/.well-known/jwks.json`, unless `jwksUri`), and a
   * token's `iss` picks the one its key is looked up in.
   */
  issuer?: string | readonly string[];
  /** AWS region of the user pool (with `userPoolId`, derives Cognito's issuers). */
  region?: string;
  /** Cognito user pool id (with `region`). */
  userPoolId?: string;
  /**
   * With `region` + `userPoolId`: the issuer forms trusted (`cognitoIssuer`). Default both,
   * `ORIGINAL` and `UPDATED`, so a pool can change its issuer type with no failed call.
   */
  issuerTypes?: readonly CognitoIssuerType[];
  /**
   * One key-set URL for every trusted issuer (a proxy, a mirror). Default: each issuer's own,
   * `{issuer}/.well-known/jwks.json`.
   */
  jwksUri?: string;
  /** Allow-list of `client_id`s. Unset or empty: any client of the issuer. */
  clientIds?: readonly string[];
  /** Expected `token_use`. Default `'access'`. */
  tokenUse?: 'access' | 'id';
  /** Leeway for `exp`/`nbf`, in seconds. Default 5. */
  clockToleranceSeconds?: number;
  /** The `realm` of `WWW-Authenticate`. Default `'api'`. */
  realm?: string;
  /** How long a fetched key set is trusted before it is refreshed, in ms. Default 10 minutes. */
  jwksCacheMaxAgeMs?: number;
  /**
   * How long a key set past `jwksCacheMaxAgeMs` keeps serving while every refresh fails, in ms.
   * After that, requests get 503 until the issuer answers again. Default 1 hour: long enough
   * to ride out an issuer outage, short enough that a key removed at the issuer (a revoked or
   * leaked key) stops being trusted within the hour even if its removal was never fetched.
   */
  jwksMaxStaleMs?: number;
  /**
   * Total deadline of one key-set request (connection to last byte), in ms; past it the
   * request is aborted and its connection closed. Default 5,000.
   */
  jwksTimeoutMs?: number;
  /** Largest key set accepted, in bytes; a larger one is aborted as it arrives. Default 1 MiB. */
  jwksMaxBytes?: number;
  /**
   * After a refetch caused by an unknown `kid`, further unknown kids cause no fetch for this
   * long, in ms (routine fetches do not start it). Default 10,000.
   */
  jwksPenaltyWindowMs?: number;
  /** After a failed fetch, the next attempt waits this long, in ms (the `Retry-After` of the 503). Default 1,000. */
  jwksFailureCooldownMs?: number;
  /** Size of the verified-token cache (entries). `0` disables it. Default 10,000. */
  verifiedTokenCacheSize?: number;
  /**
   * Heap the verified-token cache may hold, in bytes (estimated per token from its claims), so
   * large tokens cannot multiply its footprint. `0` disables it. Default 8 MiB.
   */
  verifiedTokenCacheMaxBytes?: number;
  /**
   * Every route must declare `@Scopes(...)`, `@AnyValidToken()` or `@Public()`. `'enforce'`
   * (default): start-up fails listing the routes that declare none (or conflicting ones).
   * `'warn'`, to migrate: it logs them once, and they accept any valid token meanwhile.
   */
  routePolicy?: 'enforce' | 'warn';
  /**
   * The fleet's revocation list (`revocationOptionsFromEnv`, or a store of your own): a token
   * listed by `jti`, or of a client revoked at or after its `iat`, gets 401 `invalid_token`
   * ("the token has been revoked"), cached or not. Unset: no list, and nothing of it loaded.
   */
  revocation?: RevocationListOptions;
}

/** A key set, and the issuers whose tokens are verified with it. */
export interface KeySetSource {
  jwksUri: string;
  issuers: readonly string[];
}

/** Options with every default applied. */
export interface ResolvedResourceServerOptions {
  /** The trusted issuers: a token's `iss` must be exactly one of them. */
  issuers: readonly string[];
  /** One key set per issuer, or one for all of them when `jwksUri` was given. */
  keySets: readonly KeySetSource[];
  clientIds: ReadonlySet<string> | undefined;
  tokenUse: 'access' | 'id';
  clockToleranceSeconds: number;
  realm: string;
  jwksCacheMaxAgeMs: number;
  jwksMaxStaleMs: number;
  jwksTimeoutMs: number;
  jwksMaxBytes: number;
  jwksPenaltyWindowMs: number;
  jwksFailureCooldownMs: number;
  verifiedTokenCacheSize: number;
  verifiedTokenCacheMaxBytes: number;
  routePolicy: 'enforce' | 'warn';
  revocation: RevocationListOptions | undefined;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  return numberOption(name, value, fallback, { min: 0 }, (option, why) => {
    throw new ResourceServerConfigError(`ResourceServerModule: ${option} ${why}`);
  });
}

/** The issuers `options` trust: `issuer` as given, or the pool's issuer forms. */
function trustedIssuers(options: ResourceServerModuleOptions): string[] {
  const given = options.issuer === undefined ? [] : [options.issuer].flat();
  if (given.length > 0) return [...new Set(given)];
  if (!options.region || !options.userPoolId) {
    throw new ResourceServerConfigError(
      'ResourceServerModule: set `issuer`, or both `region` and `userPoolId`' +
        (options.region
          ? ' (userPoolId is missing)'
          : options.userPoolId
            ? ' (region is missing)'
            : ''),
    );
  }
  const types = options.issuerTypes ?? COGNITO_ISSUER_TYPES;
  if (types.length === 0) {
    throw new ResourceServerConfigError('ResourceServerModule: issuerTypes is empty');
  }
  try {
    return [...new Set(types)].map((type) =>
      cognitoIssuer(options.region as string, options.userPoolId as string, type),
    );
  } catch (cause) {
    throw new ResourceServerConfigError(
      `ResourceServerModule: ${cause instanceof Error ? cause.message : 'bad region or userPoolId'}`,
      { cause },
    );
  }
}

/** Validates options and applies defaults; throws a `ResourceServerConfigError` naming the bad option. */
export function resolveResourceServerOptions(
  options: ResourceServerModuleOptions,
): ResolvedResourceServerOptions {
  const issuers = trustedIssuers(options);
  for (const issuer of issuers) {
    let issuerUrl: URL;
    try {
      issuerUrl = new URL(issuer);
    } catch (cause) {
      throw new ResourceServerConfigError(`ResourceServerModule: issuer "${issuer}" is not a URL`, {
        cause,
      });
    }
    if (issuerUrl.protocol !== 'https:' && issuerUrl.protocol !== 'http:') {
      throw new ResourceServerConfigError(
        `ResourceServerModule: issuer "${issuer}" must be an http(s) URL`,
      );
    }
  }
  const keySetUrl = (jwksUri: string) => {
    try {
      new URL(jwksUri);
    } catch (cause) {
      throw new ResourceServerConfigError(
        `ResourceServerModule: jwksUri "${jwksUri}" is not a URL`,
        { cause },
      );
    }
    return jwksUri;
  };
  const keySets: KeySetSource[] =
    options.jwksUri !== undefined
      ? [{ jwksUri: keySetUrl(options.jwksUri), issuers }]
      : issuers.map((issuer) => ({
          jwksUri: keySetUrl(`${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`),
          issuers: [issuer],
        }));
  const tokenUse = options.tokenUse ?? 'access';
  if (tokenUse !== 'access' && tokenUse !== 'id') {
    throw new ResourceServerConfigError(`ResourceServerModule: tokenUse must be 'access' or 'id'`);
  }
  const routePolicy = options.routePolicy ?? 'enforce';
  if (routePolicy !== 'enforce' && routePolicy !== 'warn') {
    throw new ResourceServerConfigError(
      `ResourceServerModule: routePolicy must be 'enforce' or 'warn'`,
    );
  }
  const clientIds = options.clientIds?.filter((c) => c.length > 0);
  return {
    issuers,
    keySets,
    clientIds: clientIds && clientIds.length > 0 ? new Set(clientIds) : undefined,
    tokenUse,
    clockToleranceSeconds: nonNegative('clockToleranceSeconds', options.clockToleranceSeconds, 5),
    realm: options.realm ?? 'api',
    jwksCacheMaxAgeMs: nonNegative('jwksCacheMaxAgeMs', options.jwksCacheMaxAgeMs, 600_000),
    jwksMaxStaleMs: nonNegative('jwksMaxStaleMs', options.jwksMaxStaleMs, 3_600_000),
    jwksTimeoutMs: nonNegative('jwksTimeoutMs', options.jwksTimeoutMs, 5_000) || 5_000,
    jwksMaxBytes:
      Math.floor(nonNegative('jwksMaxBytes', options.jwksMaxBytes, DEFAULT_JWKS_MAX_BYTES)) ||
      DEFAULT_JWKS_MAX_BYTES,
    jwksPenaltyWindowMs: nonNegative('jwksPenaltyWindowMs', options.jwksPenaltyWindowMs, 10_000),
    jwksFailureCooldownMs: nonNegative(
      'jwksFailureCooldownMs',
      options.jwksFailureCooldownMs,
      1_000,
    ),
    verifiedTokenCacheSize: Math.floor(
      nonNegative('verifiedTokenCacheSize', options.verifiedTokenCacheSize, 10_000),
    ),
    verifiedTokenCacheMaxBytes: Math.floor(
      nonNegative('verifiedTokenCacheMaxBytes', options.verifiedTokenCacheMaxBytes, 8 * 2 ** 20),
    ),
    routePolicy,
    revocation: options.revocation,
  };
}
