import { LibraryError } from '../shared/errors.js';

/**
 * Stable reason codes of every resource-server decision. They are the `reason`
 * label of `auth_decisions_total` and the `code` of the error classes below.
 */
export type AuthFailureCode =
  | 'no_token'
  | 'invalid_request'
  | 'malformed'
  | 'bad_algorithm'
  | 'bad_signature'
  | 'unknown_kid'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_token_use'
  | 'client_not_allowed'
  | 'insufficient_scope'
  | 'insufficient_claim'
  | 'revoked'
  | 'jwks_unavailable'
  | 'revocation_unavailable';

/**
 * Base class of the resource server's errors: a stable `code` (see
 * {@link AuthFailureCode}) and the underlying `cause`. Only the guards turn
 * them into HTTP answers; messages never contain the token.
 *
 * @example
 * ```ts
 * if (err instanceof ResourceServerError && err.code === 'expired') { ... }
 * ```
 */
export abstract class ResourceServerError extends LibraryError {
  abstract override readonly code: AuthFailureCode;
}

/** No credentials: no Authorization header, or a scheme other than Bearer. */
export class TokenMissingError extends ResourceServerError {
  readonly code = 'no_token';
}

/** The Authorization header is present but not a well-formed Bearer credential (RFC 6750 §2.1). */
export class AuthorizationHeaderError extends ResourceServerError {
  readonly code = 'invalid_request';
}

/** The token is not a decodable JWS compact serialisation, or a claim has the wrong type. */
export class TokenMalformedError extends ResourceServerError {
  readonly code = 'malformed';
}

/** The token's `alg` is not RS256 (`none`, HS256, ...). */
export class TokenAlgorithmError extends ResourceServerError {
  readonly code = 'bad_algorithm';
}

/** The signature does not verify against the published key named by `kid`. */
export class TokenSignatureError extends ResourceServerError {
  readonly code = 'bad_signature';
}

/** The token's `kid` is not in the issuer's key set (after at most one refetch per penalty window). */
export class UnknownKeyError extends ResourceServerError {
  readonly code = 'unknown_kid';
}

/** `exp` is in the past (beyond the clock tolerance). */
export class TokenExpiredError extends ResourceServerError {
  readonly code = 'expired';
}

/** `nbf` is in the future (beyond the clock tolerance). */
export class TokenNotYetValidError extends ResourceServerError {
  readonly code = 'not_yet_valid';
}

/** `iss` is not the configured issuer. */
export class TokenIssuerError extends ResourceServerError {
  readonly code = 'wrong_issuer';
}

/** `token_use` is not the expected one (an ID token sent as an access token). */
export class TokenUseError extends ResourceServerError {
  readonly code = 'wrong_token_use';
}

/** `client_id` is not in the configured allow-list. */
export class ClientNotAllowedError extends ResourceServerError {
  readonly code = 'client_not_allowed';
}

/** The principal lacks one of the scopes the route requires. */
export class InsufficientScopeError extends ResourceServerError {
  readonly code = 'insufficient_scope';
  constructor(
    message: string,
    readonly requiredScopes: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The token lacks a claim the route requires (`@RequireClaim`), or its value does not meet the
 * requirement; answered 403 `insufficient_scope` naming the claim, never its value.
 */
export class InsufficientClaimError extends ResourceServerError {
  readonly code = 'insufficient_claim';
  constructor(
    message: string,
    readonly claim: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The token was revoked (by `jti`, or its client's tokens issued before a time); 401. */
export class TokenRevokedError extends ResourceServerError {
  readonly code = 'revoked';
}

/** The issuer's key set could not be fetched; answered with 503 and `Retry-After`. */
export class JwksUnavailableError extends ResourceServerError {
  readonly code = 'jwks_unavailable';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The revocation list has not loaded yet (its store unreachable since start-up): a token it
 * might list cannot be accepted; answered with 503 and `Retry-After`, like an unreachable key
 * set. Once the list has loaded, an unreachable store keeps the last list enforced instead.
 */
export class RevocationUnavailableError extends ResourceServerError {
  readonly code = 'revocation_unavailable';
  readonly retryAfterSeconds = 1;
}

/**
 * `ResourceServerModule` options are invalid (no issuer, a bad URL, a negative duration, ...).
 * Thrown at start-up, before the app listens; the message names the option.
 *
 * @example
 * ```ts
 * try { resolveOptions(); } catch (err) {
 *   if (err instanceof ResourceServerConfigError) console.error(err.code, err.message);
 * }
 * ```
 */
export class ResourceServerConfigError extends LibraryError {
  readonly code = 'invalid_options';
}

/**
 * Routes that declare no access policy (`@Scopes(...)`, `@AnyValidToken()` or `@Public()`),
 * or conflicting ones: thrown at start-up, before the app listens, unless `routePolicy:
 * 'warn'`. `routes` names each, e.g. `DELETE /items/:id (ItemsController.remove)`.
 *
 * @example
 * ```ts
 * await app.init().catch((e) => {
 *   if (e instanceof RoutePolicyError) console.error(e.routes.join('\n'));
 *   throw e;
 * });
 * ```
 */
export class RoutePolicyError extends LibraryError {
  readonly code = 'missing_route_policy';

  constructor(
    message: string,
    /** Each route at fault, with what is wrong with it. */
    readonly routes: readonly string[],
  ) {
    super(message);
  }
}
