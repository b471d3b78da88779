import {
  TokenExpiredError,
  TokenMalformedError,
  TokenNotYetValidError,
} from './resource-server.errors.js';

/** A time claim: absent, or a finite number (JSON `1e400` parses to Infinity). */
function timeClaim(claims: Record<string, unknown>, name: 'exp' | 'nbf' | 'iat') {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TokenMalformedError(`the token ${name} claim is not a finite number`);
  }
  return value;
}

/**
 * The time claims of a verified token, against `nowSeconds` with `toleranceSeconds` of
 * leeway: `exp` (required), `nbf` and `iat` must be finite numbers (an `exp` of Infinity
 * would never expire); neither `nbf` nor `iat` may lie in the future (a token issued
 * later than now was not issued on the issuer's clock), nor `exp` in the past.
 *
 * @returns `exp`, in seconds
 */
export function checkTokenTimes(
  claims: Record<string, unknown>,
  nowSeconds: number,
  toleranceSeconds: number,
): number {
  const exp = timeClaim(claims, 'exp');
  if (exp === undefined)
    throw new TokenMalformedError('the token exp claim is not a finite number');
  const nbf = timeClaim(claims, 'nbf');
  const iat = timeClaim(claims, 'iat');
  const latest = nowSeconds + toleranceSeconds;
  if (nbf !== undefined && nbf > latest) {
    throw new TokenNotYetValidError('the token is not yet valid');
  }
  if (iat !== undefined && iat > latest) {
    throw new TokenNotYetValidError('the token was issued in the future (iat)');
  }
  if (nowSeconds >= exp + toleranceSeconds) throw new TokenExpiredError('the token has expired');
  return exp;
}
