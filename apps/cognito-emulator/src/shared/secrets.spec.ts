import { matchesAnyDigest, secretsEqual, sha256 } from './secrets.js';

describe('secretsEqual', () => {
  it('compares secrets of any length without throwing', () => {
    expect(secretsEqual('a', 'a')).toBe(true);
    expect(secretsEqual('a', 'a'.repeat(1000))).toBe(false);
    expect(secretsEqual('', 'x')).toBe(false);
  });
});

describe('matchesAnyDigest', () => {
  it('finds the presented secret among the expected ones, whichever it is', () => {
    const digests = [sha256('old-secret'), sha256('new-secret')];
    expect(matchesAnyDigest('old-secret', digests, 2)).toBe(true);
    expect(matchesAnyDigest('new-secret', digests, 2)).toBe(true);
    expect(matchesAnyDigest('other', digests, 2)).toBe(false);
  });

  it('never matches the padding compared in place of missing digests', () => {
    expect(matchesAnyDigest('', [], 2)).toBe(false);
    expect(matchesAnyDigest('x'.repeat(52), [sha256('only')], 2)).toBe(false);
    expect(matchesAnyDigest('only', [sha256('only')], 2)).toBe(true);
  });
});
