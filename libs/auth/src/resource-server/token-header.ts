import {
  TokenAlgorithmError,
  TokenMalformedError,
  UnknownKeyError,
} from './resource-server.errors.js';

/** A base64url segment of a compact JWS (RFC 7515 §7.1), as jws and jsonwebtoken accept it. */
const SEGMENT = /^[A-Za-z0-9_-]+$/;

function jsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks the shape of a compact JWS and decodes its header, once per verification, before
 * any key is looked up: three base64url segments, a JSON-object header, `alg` RS256
 * (pinned, RFC 8725 §3.1), no `crit`, a JSON-object payload, a signature and a `kid`. What passes can then fail
 * signature verification only for its signature.
 *
 * @returns the `kid` naming the signing key
 */
export function checkTokenHeader(token: string): string {
  const parts = token.split('.');
  const header = parts.length === 3 && SEGMENT.test(parts[0]) ? jsonObject(parts[0]) : undefined;
  if (!header) throw new TokenMalformedError('the token is malformed');
  // The algorithm first: an unsigned (`alg: none`) token is refused as such.
  if (header.alg !== 'RS256') {
    throw new TokenAlgorithmError('the token algorithm is not allowed (RS256 only)');
  }
  // RFC 7515 §4.1.11: this verifier understands no extension (`b64`, private ones), so a
  // token that names one it must understand is refused.
  if (header.crit !== undefined) {
    throw new TokenMalformedError('the token has a crit header this server does not understand');
  }
  if (!SEGMENT.test(parts[1]) || !SEGMENT.test(parts[2]) || !jsonObject(parts[1])) {
    throw new TokenMalformedError('the token is malformed');
  }
  const kid = header.kid;
  if (typeof kid !== 'string' || kid.length === 0) {
    throw new UnknownKeyError('the token names no signing key (kid)');
  }
  return kid;
}
