import { hash, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a UTF-8 string (Node's one-shot `crypto.hash`: no Hash object per call). */
export function sha256(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/** Compares a presented secret with an expected one's SHA-256 digest, in constant time. */
export function matchesDigest(presented: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(sha256(presented), expectedDigest);
}

/** Compares secrets in constant time (SHA-256 digests, so lengths never leak). */
export function secretsEqual(presented: string, expected: string): boolean {
  return matchesDigest(presented, sha256(expected));
}
