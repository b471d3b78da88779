import {
  TokenAlgorithmError,
  TokenMalformedError,
  UnknownKeyError,
} from './resource-server.errors.js';

/**
 * Checks a token's decoded JOSE header before any key is looked up: a JSON object, `alg`
 * RS256 (pinned, RFC 8725 §3.1; an unsigned `alg: none` token is refused as such), no `crit`
 * (RFC 7515 §4.1.11: this verifier understands no extension, `b64` or private ones) and a
 * `kid` naming the signing key. What passes can then fail only on its key or signature.
 *
 * @returns the `kid` naming the signing key
 */
export function checkTokenHeader(header: unknown): string {
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new TokenMalformedError('the token is malformed');
  }
  const { alg, crit, kid } = header as Record<string, unknown>;
  if (alg !== 'RS256') {
    throw new TokenAlgorithmError('the token algorithm is not allowed (RS256 only)');
  }
  if (crit !== undefined) {
    throw new TokenMalformedError('the token has a crit header this server does not understand');
  }
  if (typeof kid !== 'string' || kid.length === 0) {
    throw new UnknownKeyError('the token names no signing key (kid)');
  }
  return kid;
}
