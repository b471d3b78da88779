import { AuthorizationHeaderError, TokenMissingError } from './resource-server.errors.js';

/** RFC 6750 §2.1 `b64token`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** RFC 7230 `token` (an auth-scheme). */
const SCHEME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The value of a request's Authorization header, given Node's raw header list
 * (`req.rawHeaders`), so repeated headers are seen: `undefined` when there is none,
 * `AuthorizationHeaderError` when there is more than one.
 */
export function authorizationHeader(rawHeaders: readonly string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].length === 13 && rawHeaders[i].toLowerCase() === 'authorization') {
      if (value !== undefined) {
        throw new AuthorizationHeaderError('more than one Authorization header');
      }
      value = rawHeaders[i + 1];
    }
  }
  return value;
}

/**
 * The bearer token of an Authorization header value.
 *
 * - no value, or another scheme (`Basic ...`): `TokenMissingError` (RFC 6750 §3.1: a
 *   request without bearer credentials gets no error code);
 * - `Bearer` without a token, a token that is not a `b64token`, or extra parts after it:
 *   `AuthorizationHeaderError`.
 */
export function bearerToken(value: string | undefined): string {
  if (value === undefined) throw new TokenMissingError('no Authorization header');
  const trimmed = value.trim();
  if (trimmed === '') throw new AuthorizationHeaderError('the Authorization header is empty');
  const space = trimmed.search(/[ \t]/);
  const scheme = space === -1 ? trimmed : trimmed.slice(0, space);
  if (!SCHEME.test(scheme)) {
    throw new AuthorizationHeaderError('the Authorization header has no valid scheme');
  }
  if (scheme.toLowerCase() !== 'bearer') {
    throw new TokenMissingError('the Authorization scheme is not Bearer');
  }
  if (space === -1) throw new AuthorizationHeaderError('the Bearer credentials are empty');
  const token = trimmed.slice(space).trimStart();
  if (!B64TOKEN.test(token)) {
    throw new AuthorizationHeaderError(
      /[ \t,]/.test(token)
        ? 'the Bearer credentials must be a single token'
        : 'the Bearer token contains characters outside the b64token syntax',
    );
  }
  return token;
}
