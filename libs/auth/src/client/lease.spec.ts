// The cross-replica lease on a fake clock, over the toy store (values and leases that
// expire on Date.now, answered at once), driven by vitest's fake timers, so owner death,
// expiry and wait bounds take no real time.
import { EntryCipher } from './entry-cipher.js';
import {
  jitteredRefreshAt,
  leasedFetch,
  type LeasedRequest,
  type LeaseSettings,
  pollDelay,
} from './lease.js';
import type { CachedToken } from './token-cache.js';
import type { TokenCacheStore } from './token-cache.store.js';
import type { Runtime } from './token-request.js';
import { ToyKeyValueService, ToyTokenCacheStore } from './toy-token-cache.fixture-spec.js';

const SETTINGS: LeaseSettings = { leaseMs: 3_000, pollMs: 25, waitMs: 10_000, refreshSpreadMs: 0 };
const runtime: Runtime = {
  now: () => Date.now(),
  random: () => 0.5,
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    }),
};
const cipher = new EntryCipher({
  source: 'https://issuer.example/oauth2/token',
  clientId: 'svc',
  scopes: ['api/read'],
  clientSecret: 'lease-test-secret-0123456789',
});
const LEASE = `${cipher.id}:lease`;

/** A token request that takes `ms` and counts itself; `hang` never answers. */
function issuer(ms = 100) {
  const calls: number[] = [];
  let hang = false;
  return {
    calls,
    hangForever: () => void (hang = true),
    fetch: () => {
      calls.push(Date.now());
      if (hang) return new Promise<CachedToken>(() => undefined);
      const n = calls.length;
      return new Promise<CachedToken>((resolve) =>
        setTimeout(() => {
          const now = Date.now();
          resolve({
            accessToken: `tok-${n}`,
            expiresAt: now + 3_600_000,
            refreshAt: now + 2_700_000,
          });
        }, ms),
      );
    },
  };
}

const never = new AbortController().signal;
let service: ToyKeyValueService;

/** Stores `token` as a replica would have (sealed), for `ttlMs`. */
function stored(token: CachedToken, ttlMs = 60_000) {
  service.values.set(cipher.id, { value: cipher.seal(token), until: Date.now() + ttlMs });
}

/** One replica's look at the shared entry (default: waits up to 10 s for another's fetch). */
const lease = (
  fetch: () => Promise<CachedToken>,
  request: Partial<LeasedRequest> = {},
  store: TokenCacheStore = new ToyTokenCacheStore(service),
) =>
  leasedFetch(
    store,
    cipher,
    fetch,
    {
      usable: (t) => Date.now() < t.expiresAt,
      waitMs: SETTINGS.waitMs,
      signal: never,
      ...request,
    },
    SETTINGS,
    runtime,
  );

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
  service = new ToyKeyValueService();
});
afterEach(() => vi.useRealTimers());

describe('leasedFetch', () => {
  it('five replicas missing at once: one fetches under the lease, four wait and read its token', async () => {
    const iss = issuer(200);
    const replicas = Array.from({ length: 5 }, () => lease(iss.fetch));
    await vi.advanceTimersByTimeAsync(1_000);
    const results = await Promise.all(replicas);
    expect(iss.calls).toHaveLength(1);
    expect(results.map((r) => r?.source).sort()).toEqual([
      'leased',
      'shared',
      'shared',
      'shared',
      'shared',
    ]);
    expect(new Set(results.map((r) => r?.token.accessToken))).toEqual(new Set(['tok-1']));
    expect(results.filter((r) => r?.waited)).toHaveLength(4);
    expect(service.live(LEASE)).toBeUndefined();
  });

  it('a valid entry costs one round trip and no fetch', async () => {
    const now = Date.now();
    stored({ accessToken: 'stored', expiresAt: now + 60_000, refreshAt: now + 45_000 });
    const iss = issuer();
    const result = await lease(iss.fetch);
    expect(result).toMatchObject({
      source: 'shared',
      waited: false,
      token: { accessToken: 'stored' },
    });
    expect(service.calls).toBe(1);
    expect(iss.calls).toHaveLength(0);
  });

  it('an owner writes, then releases: the next to take the lease reads that token, no fetch', async () => {
    const now = Date.now();
    const toy = new ToyTokenCacheStore(service);
    let looks = 0;
    // Between this replica's first look and its taking the lease, another wrote and released.
    const racing: TokenCacheStore = {
      name: 'racing',
      lease: toy.lease,
      set: (key, value, ttlMs) => toy.set(key, value, ttlMs),
      get: async (key) => {
        const value = await toy.get(key);
        if ((looks += 1) === 1) {
          stored({ accessToken: 'just-written', expiresAt: now + 60_000, refreshAt: now + 45_000 });
        }
        return value;
      },
    };
    const iss = issuer();
    const result = await lease(iss.fetch, {}, racing);
    expect(result).toMatchObject({ source: 'shared', token: { accessToken: 'just-written' } });
    expect(iss.calls).toHaveLength(0);
    expect(service.live(LEASE)).toBeUndefined();
  });

  it('owner death: the lease expires after leaseMs and the next waiter takes it over and fetches', async () => {
    // A replica took the lease and died: nobody renews it.
    await new ToyTokenCacheStore(service).lease.acquire(cipher.id, 'dead', SETTINGS.leaseMs);
    const started = Date.now();
    const iss = issuer(100);
    const pending = lease(iss.fetch);
    await vi.advanceTimersByTimeAsync(SETTINGS.leaseMs - 1);
    expect(iss.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    const result = await pending;
    expect(result).toMatchObject({
      source: 'leased',
      waited: true,
      token: { accessToken: 'tok-1' },
    });
    expect(iss.calls).toHaveLength(1);
    // Taken over as soon as the lease expired: the waiter sleeps no longer than its remainder.
    expect(iss.calls[0] - started).toBe(SETTINGS.leaseMs);
  });

  it('a live owner renews its lease however slow its issuer: waiters keep waiting, no second fetch', async () => {
    const slow = issuer(8_000);
    const owner = lease(slow.fetch);
    await vi.advanceTimersByTimeAsync(10);
    const waiter = issuer();
    const waiting = lease(waiter.fetch);
    await vi.advanceTimersByTimeAsync(7_000);
    expect(service.live(LEASE)).toBeDefined(); // past leaseMs twice over, renewed
    await vi.advanceTimersByTimeAsync(1_500);
    const [a, b] = await Promise.all([owner, waiting]);
    expect(a).toMatchObject({ source: 'leased', token: { accessToken: 'tok-1' } });
    expect(b).toMatchObject({ source: 'shared', waited: true, token: { accessToken: 'tok-1' } });
    expect(waiter.calls).toHaveLength(0);
  });

  it('wait bound: an owner that never finishes costs a waiter waitMs, then it fetches itself', async () => {
    const stuck = issuer();
    stuck.hangForever();
    void lease(stuck.fetch);
    await vi.advanceTimersByTimeAsync(10);
    const started = Date.now();
    const iss = issuer(50);
    const pending = lease(iss.fetch, { waitMs: 2_000 });
    await vi.advanceTimersByTimeAsync(1_999);
    expect(iss.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(100);
    const result = await pending;
    expect(result).toMatchObject({
      source: 'fallback',
      waited: true,
      token: { accessToken: 'tok-1' },
    });
    expect(iss.calls).toHaveLength(1);
    expect(iss.calls[0] - started).toBeGreaterThanOrEqual(2_000);
    expect(iss.calls[0] - started).toBeLessThanOrEqual(2_000 + 1);
    // Its token is shared from then on; the stuck owner's lease stays its own.
    expect(cipher.open(service.live(cipher.id)?.value)).toMatchObject({ accessToken: 'tok-1' });
    expect(service.live(LEASE)).toBeDefined();
  });

  it('a background refresh: a held lease means no fetch and no wait', async () => {
    await new ToyTokenCacheStore(service).lease.acquire(cipher.id, 'other', SETTINGS.leaseMs);
    const iss = issuer();
    const result = await lease(iss.fetch, { background: true });
    expect(result).toBeUndefined();
    expect(iss.calls).toHaveLength(0);
  });

  it('waitMs 0: a held lease means fetching at once, without it', async () => {
    await new ToyTokenCacheStore(service).lease.acquire(cipher.id, 'other', SETTINGS.leaseMs);
    const iss = issuer(10);
    const pending = lease(iss.fetch, { waitMs: 0 });
    await vi.advanceTimersByTimeAsync(20);
    expect(await pending).toMatchObject({ source: 'fallback', waited: false });
    expect(iss.calls).toHaveLength(1);
  });

  it('the entry being replaced, a rejected token, a corrupt, foreign or expired entry: each a miss', async () => {
    const now = Date.now();
    const old = { accessToken: 'old', expiresAt: now + 60_000, refreshAt: now + 45_000 };
    const valid = cipher.seal(old);
    const foreign = new EntryCipher({
      source: 'https://issuer.example/oauth2/token',
      clientId: 'svc',
      scopes: ['api/read'],
      clientSecret: 'another-secret',
    }).seal(old);
    const gone = cipher.seal({ accessToken: 'gone', expiresAt: now - 1, refreshAt: now - 10 });
    const cases: { value: string; request: Partial<LeasedRequest> }[] = [
      { value: valid, request: { known: valid } },
      { value: valid, request: { usable: (t) => t.accessToken !== 'old' } },
      { value: '{corrupt', request: {} },
      { value: foreign, request: {} },
      { value: gone, request: {} },
    ];
    for (const { value, request } of cases) {
      service = new ToyKeyValueService();
      service.values.set(cipher.id, { value, until: now + 60_000 });
      const iss = issuer(10);
      const pending = lease(iss.fetch, { ...request, waitMs: 1_000 });
      await vi.advanceTimersByTimeAsync(20);
      expect(await pending).toMatchObject({ source: 'leased', token: { accessToken: 'tok-1' } });
      expect(iss.calls).toHaveLength(1);
    }
  });

  it("the owner's failure frees the lease at once: the next waiter tries without waiting it out", async () => {
    let fail = true;
    const attempts: number[] = [];
    const fetch = () => {
      attempts.push(Date.now());
      if (fail) {
        fail = false;
        return new Promise<CachedToken>((_, reject) =>
          setTimeout(() => reject(new Error('invalid_client')), 100),
        );
      }
      const t = Date.now();
      return Promise.resolve({
        accessToken: 'second',
        expiresAt: t + 60_000,
        refreshAt: t + 45_000,
      });
    };
    const owner = lease(fetch);
    const ownerFailed = expect(owner).rejects.toThrow('invalid_client');
    await vi.advanceTimersByTimeAsync(5);
    const waiter = lease(fetch);
    await vi.advanceTimersByTimeAsync(400);
    await ownerFailed;
    expect(await waiter).toMatchObject({ source: 'leased', token: { accessToken: 'second' } });
    expect(attempts[1] - attempts[0]).toBeLessThan(400);
  });

  it('a store failing after the fetch loses no token: it comes back with the store error', async () => {
    const toy = new ToyTokenCacheStore(service);
    const failingWrites: TokenCacheStore = {
      name: 'failing-writes',
      lease: toy.lease,
      get: (key) => toy.get(key),
      set: () => Promise.reject(new Error('store down')),
    };
    const iss = issuer(10);
    const pending = lease(iss.fetch, { waitMs: 1_000 }, failingWrites);
    await vi.advanceTimersByTimeAsync(20);
    const result = await pending;
    expect(result).toMatchObject({ source: 'leased', token: { accessToken: 'tok-1' } });
    expect(result?.storeError).toBeInstanceOf(Error);
    expect(iss.calls).toHaveLength(1);
    expect(service.live(LEASE)).toBeUndefined();
  });

  it('a store down before the fetch: the token is fetched without it, the failure reported', async () => {
    service.down = true;
    const iss = issuer(10);
    const pending = lease(iss.fetch);
    await vi.advanceTimersByTimeAsync(20);
    const result = await pending;
    expect(result).toMatchObject({ source: 'fallback', token: { accessToken: 'tok-1' } });
    expect(result?.storeError).toMatchObject({ code: 'shared_cache_unavailable' });
    expect(iss.calls).toHaveLength(1);
  });

  it('a store without a lease: read, else fetch and write', async () => {
    const toy = new ToyTokenCacheStore(service);
    const plain: TokenCacheStore = {
      name: 'plain',
      get: (key) => toy.get(key),
      set: (key, value, ttlMs) => toy.set(key, value, ttlMs),
    };
    const iss = issuer(10);
    const first = lease(iss.fetch, {}, plain);
    await vi.advanceTimersByTimeAsync(20);
    expect(await first).toMatchObject({ source: 'fetched', token: { accessToken: 'tok-1' } });
    expect(await lease(iss.fetch, {}, plain)).toMatchObject({
      source: 'shared',
      token: { accessToken: 'tok-1' },
    });
    expect(iss.calls).toHaveLength(1);
  });

  it('stops waiting when aborted (the provider closed)', async () => {
    await new ToyTokenCacheStore(service).lease.acquire(cipher.id, 'other', SETTINGS.leaseMs);
    const abort = new AbortController();
    const pending = lease(issuer().fetch, { signal: abort.signal });
    const rejected = expect(pending).rejects.toThrow('closed');
    await vi.advanceTimersByTimeAsync(100);
    abort.abort(new Error('closed'));
    await vi.advanceTimersByTimeAsync(1);
    await rejected;
  });
});

describe('jitter', () => {
  it('polls a held lease within [w/2, w), w doubling from pollMs to 8 x pollMs', () => {
    for (const attempt of [0, 1, 2, 3, 4, 10]) {
      const w = 25 * 2 ** Math.min(attempt, 3);
      expect(pollDelay(attempt, 25, () => 0)).toBe(w / 2);
      expect(pollDelay(attempt, 25, () => 0.999_999)).toBeLessThan(w);
      expect(pollDelay(attempt, 25, () => 0.999_999)).toBeGreaterThan(w * 0.99);
    }
  });

  it('spreads refreshes over the first half between refreshAt and expiry, never at or past expiry', () => {
    const token = { accessToken: 't', refreshAt: 2_700_000, expiresAt: 3_595_000 };
    expect(jitteredRefreshAt(token, () => 0)).toBe(token.refreshAt);
    const latest = jitteredRefreshAt(token, () => 0.999_999);
    expect(latest).toBeLessThanOrEqual(token.refreshAt + (token.expiresAt - token.refreshAt) / 2);
    expect(latest).toBeGreaterThan(token.refreshAt + 447_000);
    const spread = new Set(
      Array.from({ length: 50 }, (_, i) => jitteredRefreshAt(token, () => i / 50)),
    );
    expect(spread.size).toBe(50);
    // A token already past its refresh point still refreshes before it expires.
    expect(jitteredRefreshAt({ ...token, refreshAt: token.expiresAt + 5 }, () => 0.7)).toBe(
      token.expiresAt + 5,
    );
  });
});
