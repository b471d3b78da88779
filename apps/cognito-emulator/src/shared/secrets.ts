import { hash, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a UTF-8 string (Node's one-shot `crypto.hash`: no Hash object per call). */
export function sha256(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

// Compared against where fewer digests are expected than comparisons made; never a match.
const PADDING = Buffer.alloc(32);

/**
 * Whether a presented secret is one of the expected ones, by their SHA-256 digests. At least
 * `comparisons` constant-time comparisons are made, whatever matches and however many digests
 * are expected (none for an unknown client), so the timing shows neither.
 */
export function matchesAnyDigest(
  presented: string,
  expectedDigests: readonly Buffer[],
  comparisons: number,
): boolean {
  const digest = sha256(presented);
  let matched = false;
  for (let i = 0; i < Math.max(comparisons, expectedDigests.length); i++) {
    const expected = expectedDigests[i];
    const equal = timingSafeEqual(digest, expected ?? PADDING);
    matched = (expected !== undefined && equal) || matched;
  }
  return matched;
}

/** Compares secrets in constant time (SHA-256 digests, so lengths never leak). */
export function secretsEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(sha256(presented), sha256(expected));
}
