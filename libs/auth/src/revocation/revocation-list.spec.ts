import { MemoryRevocationStore as MemoryStore } from './memory-revocation-store.fixture-spec.js';
import { entryOf } from './revocation-entry.js';
import { RevocationList } from './revocation-list.js';

const NOW = 1_900_000_000_000;
const now = NOW / 1000;

describe('RevocationList', () => {
  let store: MemoryStore;
  let clock: number;
  let logs: string[];
  let list: RevocationList;
  const make = (s = store) =>
    new RevocationList(
      { store: s, reloadIntervalMs: 60_000, startupWaitMs: 1_000 },
      {
        now: () => clock,
        logger: {
          log: (m) => void logs.push(`log ${m}`),
          warn: (m) => void logs.push(`warn ${m}`),
        },
      },
    );
  const claims = (extra: Record<string, unknown> = {}) => ({
    jti: 'jti-1',
    iat: now - 10,
    ...extra,
  });

  beforeEach(() => {
    store = new MemoryStore();
    clock = NOW;
    logs = [];
    list = make();
  });
  afterEach(() => list.stop());

  it('refuses every token as unavailable until it first loads, then checks them', async () => {
    expect(list.check('c', claims())).toBe('unavailable');
    await list.start();
    expect(list.check('c', claims())).toBe('ok');
    expect(list.status()).toMatchObject({ state: 'live', entries: 0, loadedAt: NOW });
  });

  it('revokes by jti, and by client for tokens issued at or before the time (no iat: before)', async () => {
    await store.add([
      entryOf({ jti: 'leaked' }, NOW),
      entryOf({ clientId: 'weather-caller', before: NOW - 60_000 }, NOW),
    ]);
    await list.start();
    expect(list.check('any', claims({ jti: 'leaked' }))).toBe('revoked');
    expect(list.check('any', claims({ jti: 'other' }))).toBe('ok');
    expect(list.check('weather-caller', claims({ iat: now - 61 }))).toBe('revoked');
    expect(list.check('weather-caller', claims({ iat: now - 60 }))).toBe('revoked');
    expect(list.check('weather-caller', claims({ iat: now - 59 }))).toBe('ok');
    expect(list.check('weather-caller', claims({ iat: undefined }))).toBe('revoked');
    expect(list.check('weather-caller', claims({ iat: '0' }))).toBe('revoked');
    expect(list.check('weather-admin', claims({ iat: now - 61 }))).toBe('ok');
  });

  it('takes a pushed change at once, and the latest revocation of a client', async () => {
    await list.start();
    await store.add([entryOf({ clientId: 'c', before: NOW - 100_000 }, NOW)]);
    await store.add([entryOf({ clientId: 'c', before: NOW - 10_000 }, NOW)]);
    await list.reload();
    expect(list.check('c', claims({ iat: now - 50 }))).toBe('revoked');
    expect(list.check('c', claims({ iat: now - 5 }))).toBe('ok');
  });

  it('reads the entries only when the version moved', async () => {
    await list.start();
    const loads = store.loads;
    await list.reload();
    await list.reload();
    expect(store.loads).toBe(loads + 2);
    expect(list.status().entries).toBe(0);
  });

  it('lets entries go when the tokens they name would have expired', async () => {
    await store.add([entryOf({ jti: 'short', expiresAt: NOW + 60_000 }, NOW)]);
    await list.start();
    expect(list.check('c', claims({ jti: 'short' }))).toBe('revoked');
    clock = NOW + (60 + 300) * 1000;
    expect(list.check('c', claims({ jti: 'short' }))).toBe('ok');
    await list.reload();
    expect(list.status().entries).toBe(0);
  });

  it('keeps enforcing the last list while the store is down, says so once, and recovers', async () => {
    await store.add([entryOf({ jti: 'leaked' }, NOW)]);
    await list.start();
    store.down = true;
    clock += 1000;
    await list.reload();
    await list.reload();
    expect(list.status()).toMatchObject({
      state: 'stale',
      entries: 1,
      loadedAt: NOW,
      failingSince: NOW + 1000,
      reason: 'TIMEOUT',
    });
    expect(list.check('c', claims({ jti: 'leaked' }))).toBe('revoked');
    expect(logs).toEqual([
      'warn Revocation list store unavailable (TIMEOUT): enforcing the last list (1 entries) until it answers again',
    ]);
    store.down = false;
    await list.reload();
    expect(list.status()).toMatchObject({ state: 'live' });
    expect(logs[1]).toBe('log Revocation list store reachable again: 1 entries');
  });

  it('does not lift a revocation when the store lost its data', async () => {
    await store.add([entryOf({ jti: 'leaked' }, NOW)]);
    await list.start();
    store.entries = [];
    store.version = 0;
    await list.reload();
    expect(list.check('c', claims({ jti: 'leaked' }))).toBe('revoked');
  });

  it("holds at most the store's bound", async () => {
    const small = new MemoryStore(3);
    small.entries = ['a', 'b', 'c'].map((jti) => entryOf({ jti }, NOW));
    small.version = 1;
    const bounded = make(small);
    await bounded.start();
    small.entries = ['d', 'e', 'f'].map((jti) => entryOf({ jti }, NOW));
    small.version = 2;
    await bounded.reload();
    expect(bounded.status().entries).toBe(3);
    expect(bounded.check('c', claims({ jti: 'f' }))).toBe('revoked');
    await bounded.stop();
  });

  it('starts anyway when the store is down, refusing tokens until the first load', async () => {
    store.down = true;
    await list.start();
    expect(list.status()).toMatchObject({ state: 'loading', reason: 'TIMEOUT' });
    expect(list.check('c', claims())).toBe('unavailable');
    expect(logs).toEqual([
      'warn Revocation list not loaded (TIMEOUT): tokens are refused (503) until it loads',
    ]);
    store.down = false;
    await list.reload();
    expect(list.check('c', claims())).toBe('ok');
  });
});
