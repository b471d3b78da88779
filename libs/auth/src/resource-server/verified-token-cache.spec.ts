import type { VerifiedToken } from './jwt.strategy.js';
import { entryBytes, VerifiedTokenCache } from './verified-token-cache.js';

const NOW = 1_800_000_000_000;

function token(n: number, extra: Record<string, unknown> = {}): VerifiedToken {
  const claims = { sub: `client-${n}`, client_id: `client-${n}`, scope: 'api/read', ...extra };
  return {
    principal: {
      clientId: claims.client_id,
      subject: claims.sub,
      scopes: ['api/read'],
      tokenUse: 'access',
      claims,
    },
    kid: 'key-1',
    expiresAt: NOW + 3_600_000,
  };
}

const key = (n: number) => VerifiedTokenCache.keyOf(`Bearer token-${n}`);

describe('VerifiedTokenCache', () => {
  let clock: number;
  let published: Set<string>;
  const cache = (maxEntries: number, maxBytes = 1 << 30) =>
    new VerifiedTokenCache({
      maxEntries,
      maxBytes,
      isPublished: ({ kid }) => published.has(kid),
      now: () => clock,
    });

  beforeEach(() => {
    clock = NOW;
    published = new Set(['key-1']);
  });

  it('keys by a hash of the whole header value, never the token itself', () => {
    expect(VerifiedTokenCache.keyOf('Bearer abc')).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(VerifiedTokenCache.keyOf('Bearer abc')).not.toBe(VerifiedTokenCache.keyOf('bearer abc'));
  });

  it('answers a token it holds, and nothing at its expiry or once its key is withdrawn', () => {
    const c = cache(10);
    c.set(key(1), token(1));
    c.set(key(2), { ...token(2), expiresAt: NOW + 1_000 });
    expect(c.get(key(1))?.principal.clientId).toBe('client-1');
    clock = NOW + 999;
    expect(c.get(key(2))).toBeDefined();
    clock = NOW + 1_000;
    expect(c.get(key(2))).toBeUndefined();
    expect(c.size).toBe(1);
    published.clear();
    expect(c.get(key(1))).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('keeps an entry and principal of its own, equal and frozen (V8 pretenures what the cache keeps)', () => {
    const c = cache(10);
    const verified = token(1);
    Object.freeze(verified.principal);
    c.set(key(1), verified);
    const kept = c.get(key(1));
    expect(kept).not.toBe(verified);
    expect(kept?.principal).not.toBe(verified.principal);
    expect(kept).toEqual(verified);
    expect(Object.isFrozen(kept?.principal)).toBe(true);
    expect(kept?.principal.claims).toBe(verified.principal.claims);
  });

  it('holds at most maxEntries tokens, and none with 0', () => {
    const c = cache(100);
    for (let i = 0; i < 1_000; i++) c.set(key(i), token(i));
    expect(c.size).toBe(100);
    const off = cache(0);
    off.set(key(1), token(1));
    expect([off.size, off.get(key(1))]).toEqual([0, undefined]);
  });

  it('holds at most maxBytes, so large tokens cannot multiply its footprint', () => {
    const big = (n: number) => token(n, { blob: 'x'.repeat(8_000) });
    expect(entryBytes(big(1))).toBeGreaterThan(8_000);
    const c = cache(10_000, 100_000);
    for (let i = 0; i < 100; i++) c.set(key(i), big(i));
    expect(c.bytes).toBeLessThanOrEqual(100_000);
    expect(c.size).toBeLessThanOrEqual(12);
    expect(c.size).toBeGreaterThan(0);
  });

  it('keeps the tokens in use through a flood of tokens each sent once', () => {
    const c = cache(100);
    const hot = Array.from({ length: 50 }, (_, i) => i);
    for (const n of hot) c.set(key(n), token(n));
    for (let i = 0; i < 10_000; i++) {
      const n = 1_000 + i;
      if (c.get(key(n)) === undefined) c.set(key(n), token(n));
      // The clients in use keep sending theirs meanwhile.
      if (i % 100 === 0) for (const h of hot) expect(c.get(key(h))).toBeDefined();
    }
    for (const n of hot) expect(c.get(key(n))?.principal.clientId).toBe(`client-${n}`);
    expect(c.size).toBeLessThanOrEqual(100);
  });

  it('takes in a new token in use once it comes back, pushing out the least recently used', () => {
    const c = cache(10);
    for (let i = 0; i < 10; i++) c.set(key(i), token(i));
    c.set(key(100), token(100));
    expect(c.get(key(100))).toBeUndefined();
    // Sent again (so verified again): now it takes the place of the least recently used.
    c.set(key(100), token(100));
    expect(c.get(key(100))).toBeDefined();
    expect(c.get(key(0))).toBeUndefined();
    expect(c.size).toBe(10);
  });

  it('gives the place of an expired token to a new one at once', () => {
    const c = cache(10);
    for (let i = 0; i < 10; i++) c.set(key(i), { ...token(i), expiresAt: NOW + 1_000 });
    clock = NOW + 1_000;
    c.set(key(100), token(100));
    expect(c.get(key(100))).toBeDefined();
  });
});
