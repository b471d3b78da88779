import { HttpException, HttpStatus } from '@nestjs/common';
import {
  InsufficientClaimError,
  InsufficientScopeError,
  JwksUnavailableError,
  type ResourceServerError,
  RevocationUnavailableError,
} from './resource-server.errors.js';

/** A quoted-string (RFC 7230 §3.2.6) with `"` and `\` escaped and controls dropped. */
function quoted(value: string): string {
  // eslint-disable-next-line no-control-regex
  return `"${value.replace(/[\x00-\x1f\x7f]/g, '').replace(/["\\]/g, '\\$&')}"`;
}

/** The RFC 6750 answer to a resource-server error. */
export interface AuthErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: string; error_description: string; scope?: string; claim?: string };
}

/**
 * Maps a library error to its status, `WWW-Authenticate` and JSON body; never echoes the token.
 *
 * - No credentials (`no_token`): 401 with `WWW-Authenticate: Bearer realm="..."` and NO
 *   `error` attribute (RFC 6750 §3.1). The JSON body still carries a machine-readable
 *   `{"error":"unauthorized","error_description":"..."}`; `unauthorized` is this library's
 *   code, not an RFC 6750 one, and appears only in the body.
 * - `invalid_request`: 400; `insufficient_scope`: 403 with `scope`; `insufficient_claim`: 403
 *   `insufficient_scope` naming the claim (`claim` in the body); `jwks_unavailable` and
 *   `revocation_unavailable`: 503 with `Retry-After` and no challenge; every other failure
 *   (`revoked` too): 401 `invalid_token`.
 *
 * @example
 * ```ts
 * const { status, headers, body } = authErrorResponse(new TokenExpiredError('the token has expired'), 'api');
 * // 401, { 'WWW-Authenticate': 'Bearer realm="api", error="invalid_token", error_description="the token has expired"' }
 * ```
 */
export function authErrorResponse(err: ResourceServerError, realm: string): AuthErrorResponse {
  const description = err.message;
  const challenge = (attrs: [string, string][]) =>
    ['Bearer realm=' + quoted(realm), ...attrs.map(([k, v]) => `${k}=${quoted(v)}`)].join(', ');
  switch (err.code) {
    case 'no_token':
      return {
        status: HttpStatus.UNAUTHORIZED,
        headers: { 'WWW-Authenticate': challenge([]) },
        body: { error: 'unauthorized', error_description: description },
      };
    case 'invalid_request':
      return {
        status: HttpStatus.BAD_REQUEST,
        headers: {
          'WWW-Authenticate': challenge([
            ['error', 'invalid_request'],
            ['error_description', description],
          ]),
        },
        body: { error: 'invalid_request', error_description: description },
      };
    case 'insufficient_scope':
    case 'insufficient_claim': {
      // A missing scope is named in `scope` (RFC 6750 §3), a failed claim requirement in `claim`.
      const named: [string, string] =
        err instanceof InsufficientClaimError
          ? ['claim', err.claim]
          : ['scope', err instanceof InsufficientScopeError ? err.requiredScopes.join(' ') : ''];
      const [attribute, value] = named;
      return {
        status: HttpStatus.FORBIDDEN,
        headers: {
          'WWW-Authenticate': challenge([
            ['error', 'insufficient_scope'],
            ['error_description', description],
            ...(attribute === 'scope' ? [named] : []),
          ]),
        },
        body: { error: 'insufficient_scope', error_description: description, [attribute]: value },
      };
    }
    case 'jwks_unavailable':
    case 'revocation_unavailable':
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        headers: {
          'Retry-After': String(
            err instanceof JwksUnavailableError || err instanceof RevocationUnavailableError
              ? err.retryAfterSeconds
              : 1,
          ),
        },
        body: { error: 'temporarily_unavailable', error_description: description },
      };
    default:
      return {
        status: HttpStatus.UNAUTHORIZED,
        headers: {
          'WWW-Authenticate': challenge([
            ['error', 'invalid_token'],
            ['error_description', description],
          ]),
        },
        body: { error: 'invalid_token', error_description: description },
      };
  }
}

/** Sets the headers on the response and returns the exception Nest answers with. */
export function toHttpException(
  err: ResourceServerError,
  realm: string,
  res: { setHeader(name: string, value: string): unknown },
): HttpException {
  const { status, headers, body } = authErrorResponse(err, realm);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  return new HttpException(body, status, { cause: err });
}
