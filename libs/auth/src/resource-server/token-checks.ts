import { TokenMalformedError, TokenNotYetValidError } from './resource-server.errors.js';

/**
 * Refuses a JOSE header with `crit` (RFC 7515 §4.1.11): this verifier understands no
 * extension, so a token that says one must be understood (`b64`, a custom parameter) is not.
 * Checked before any key lookup, so such a token costs no key-set fetch.
 */
export function assertNoCriticalExtensions(header: Record<string, unknown>): void {
  if (header.crit !== undefined) {
    throw new TokenMalformedError('the token has a crit header this server does not understand');
  }
}

/**
 * After the signature: `exp` (required), `nbf` and `iat` must be finite numbers (JSON
 * `1e400` parses to Infinity, which would never expire), and `iat` may not lie in the future
 * beyond the clock tolerance. `exp`/`nbf` against the clock are jsonwebtoken's checks.
 */
export function assertTimeClaims(
  claims: Record<string, unknown>,
  nowSeconds: number,
  toleranceSeconds: number,
): void {
  for (const name of ['exp', 'nbf', 'iat'] as const) {
    const value = claims[name];
    if (value === undefined && name !== 'exp') continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TokenMalformedError(`the token ${name} claim is not a finite number`);
    }
  }
  if (typeof claims.iat === 'number' && claims.iat > nowSeconds + toleranceSeconds) {
    throw new TokenNotYetValidError('the token was issued in the future (iat)');
  }
}
