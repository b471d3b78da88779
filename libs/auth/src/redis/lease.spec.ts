// The cross-replica lease on a fake clock: an in-memory store that keeps Redis's
// semantics (SET NX PX, owner-only release and renew, keys that expire), driven by
// vitest's fake timers, so owner death, expiry and wait bounds take no real time.
import type { CachedToken } from '../client/token-cache.store.js';
import type { Runtime } from '../client/token-endpoint.js';
import {
  jitteredRefreshAt,
  type LeaseBackend,
  leasedFetch,
  type LeasedRequest,
  type LeaseOptions,
  type LeaseRead,
  pollDelay,
} from './lease.js';

/** One entry and its lease, expiring on Date.now (faked). Values are the token as JSON. */
class MemoryLeaseBackend implements LeaseBackend {
  entry?: { raw: string; until: number };
  lease?: { owner: string; until: number };
  rounds = 0;
  failStore = false;

  private live() {
    const now = Date.now();
    if (this.entry && this.entry.until <= now) this.entry = undefined;
    if (this.lease && this.lease.until <= now) this.lease = undefined;
  }

  readOrLease(known: string | undefined, owner: string, leaseMs: number): Promise<LeaseRead> {
    this.rounds += 1;
    this.live();
    if (this.entry && this.entry.raw !== known) {
      const raw = this.entry.raw;
      let token: CachedToken | undefined;
      try {
        token = JSON.parse(raw) as CachedToken;
      } catch {
        token = undefined;
      }
      return Promise.resolve({ kind: 'entry', raw, token });
    }
    if (!this.lease) {
      this.lease = { owner, until: Date.now() + leaseMs };
      return Promise.resolve({ kind: 'leased' });
    }
    return Promise.resolve({ kind: 'held', remainingMs: this.lease.until - Date.now() });
  }

  storeAndRelease(token: CachedToken, ttlMs: number, owner: string): Promise<string> {
    if (this.failStore) return Promise.reject(new Error('store down'));
    this.live();
    const raw = JSON.stringify(token);
    this.entry = { raw, until: Date.now() + ttlMs };
    if (this.lease?.owner === owner) this.lease = undefined;
    return Promise.resolve(raw);
  }

  release(owner: string): Promise<void> {
    this.live();
    if (this.lease?.owner === owner) this.lease = undefined;
    return Promise.resolve();
  }

  renew(owner: string, leaseMs: number): Promise<boolean> {
    this.live();
    if (this.lease?.owner !== owner) return Promise.resolve(false);
    this.lease.until = Date.now() + leaseMs;
    return Promise.resolve(true);
  }
}

const OPTIONS: LeaseOptions = { leaseMs: 3_000, pollMs: 25 };
const runtime = (random = () => 0.5): Runtime => ({
  now: () => Date.now(),
  random,
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    }),
});

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
let backend: MemoryLeaseBackend;

/** One replica's look at the shared entry (default: waits up to 10 s for another's fetch). */
const lease = (fetch: () => Promise<CachedToken>, request: Partial<LeasedRequest> = {}) =>
  leasedFetch(backend, fetch, { waitMs: 10_000, signal: never, ...request }, OPTIONS, runtime());

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
  backend = new MemoryLeaseBackend();
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
    expect(backend.lease).toBeUndefined();
  });

  it('a valid entry costs one round trip and no fetch', async () => {
    const iss = issuer();
    const now = Date.now();
    await backend.storeAndRelease(
      { accessToken: 'stored', expiresAt: now + 60_000, refreshAt: now + 45_000 },
      60_000,
      'x',
    );
    const result = await lease(iss.fetch);
    expect(result).toMatchObject({
      source: 'shared',
      waited: false,
      token: { accessToken: 'stored' },
    });
    expect(backend.rounds).toBe(1);
    expect(iss.calls).toHaveLength(0);
  });

  it('owner death: the lease expires after leaseMs and the next waiter takes it over and fetches', async () => {
    // A replica took the lease and died: nobody renews it.
    await backend.readOrLease(undefined, 'dead-replica', OPTIONS.leaseMs);
    const started = Date.now();
    const iss = issuer(100);
    const pending = lease(iss.fetch);
    await vi.advanceTimersByTimeAsync(OPTIONS.leaseMs - 1);
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
    expect(iss.calls[0] - started).toBe(OPTIONS.leaseMs);
  });

  it('a live owner renews its lease however slow its issuer: waiters keep waiting, no second fetch', async () => {
    const slow = issuer(8_000);
    const owner = lease(slow.fetch);
    await vi.advanceTimersByTimeAsync(10);
    const waiter = issuer();
    const waiting = lease(waiter.fetch);
    await vi.advanceTimersByTimeAsync(7_000);
    expect(backend.lease).toBeDefined(); // past leaseMs twice over, renewed
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
    expect(JSON.parse(backend.entry!.raw)).toMatchObject({ accessToken: 'tok-1' });
    expect(backend.lease).toBeDefined();
  });

  it('waitMs 0 (a background refresh): a held lease means no fetch and no wait', async () => {
    await backend.readOrLease(undefined, 'other-replica', OPTIONS.leaseMs);
    const iss = issuer();
    const result = await lease(iss.fetch, { waitMs: 0 });
    expect(result).toBeUndefined();
    expect(iss.calls).toHaveLength(0);
  });

  it('the entry being replaced, a rejected token, a corrupt or expired entry: each a miss', async () => {
    const now = Date.now();
    const cases: {
      raw: string;
      request: { known?: string; unwanted?: (t: CachedToken) => boolean };
    }[] = [];
    const valid = JSON.stringify({
      accessToken: 'old',
      expiresAt: now + 60_000,
      refreshAt: now + 45_000,
    });
    cases.push({ raw: valid, request: { known: valid } });
    cases.push({ raw: valid, request: { unwanted: (t) => t.accessToken === 'old' } });
    cases.push({ raw: '{corrupt', request: {} });
    cases.push({
      raw: JSON.stringify({ accessToken: 'gone', expiresAt: now - 1, refreshAt: now - 10 }),
      request: {},
    });
    for (const { raw, request } of cases) {
      backend = new MemoryLeaseBackend();
      backend.entry = { raw, until: now + 60_000 };
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
    backend.failStore = true;
    const iss = issuer(10);
    const pending = lease(iss.fetch, { waitMs: 1_000 });
    await vi.advanceTimersByTimeAsync(20);
    const result = await pending;
    expect(result).toMatchObject({ source: 'leased', token: { accessToken: 'tok-1' } });
    expect(result?.storeError).toBeInstanceOf(Error);
    expect(iss.calls).toHaveLength(1);
  });

  it('stops waiting when aborted (the provider closed)', async () => {
    await backend.readOrLease(undefined, 'other-replica', OPTIONS.leaseMs);
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
