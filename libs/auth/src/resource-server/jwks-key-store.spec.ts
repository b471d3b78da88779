import { JwksKeyStore, type JwksKeyStoreOptions } from './jwks-key-store.js';
import { JwksUnavailableError, UnknownKeyError } from './resource-server.errors.js';
import { makeKey, TestIssuer } from './test-issuer.fixture-spec.js';

const WINDOW = 10_000;

describe('JwksKeyStore', () => {
  let iss: TestIssuer;
  let clock: number;
  const store = (options: Partial<JwksKeyStoreOptions> = {}) =>
    new JwksKeyStore(
      {
        jwksUri: iss.jwksUri,
        jwksCacheMaxAgeMs: 600_000,
        jwksMaxStaleMs: 3_600_000,
        jwksTimeoutMs: 5_000,
        jwksPenaltyWindowMs: WINDOW,
        jwksFailureCooldownMs: 1_000,
        ...options,
      },
      undefined,
      () => clock,
    );

  beforeAll(async () => {
    iss = await TestIssuer.start();
  });
  beforeEach(() => {
    iss.fetches = 0;
    iss.down = false;
    iss.published = [iss.key];
    clock = 1_700_000_000_000;
  });
  afterAll(() => iss.close());

  it('accepts a rotated-in kid right after a routine fetch (no penalty window from it)', async () => {
    const keys = store();
    await keys.getKey('key-1');
    expect(iss.fetches).toBe(1);
    const next = await makeKey('key-2');
    iss.published = [iss.key, next];
    clock += 1; // well within what used to be a penalty window
    await expect(keys.getKey('key-2')).resolves.toBeDefined();
    expect(iss.fetches).toBe(2);
  });

  it('costs one fetch for an unknown kid when cold (the initial fetch is its refetch)', async () => {
    const keys = store();
    await expect(keys.getKey('nope')).rejects.toBeInstanceOf(UnknownKeyError);
    expect(iss.fetches).toBe(1);
  });

  it('starts the penalty window at a refetch caused by an unknown kid', async () => {
    const keys = store();
    await keys.getKey('key-1');
    await expect(keys.getKey('random-1')).rejects.toBeInstanceOf(UnknownKeyError);
    expect(iss.fetches).toBe(2);
    clock += WINDOW - 1;
    await expect(keys.getKey('random-2')).rejects.toBeInstanceOf(UnknownKeyError);
    expect(iss.fetches).toBe(2);
    // Known kids keep working inside the window, without a fetch.
    await expect(keys.getKey('key-1')).resolves.toBeDefined();
    clock += 1;
    await expect(keys.getKey('random-3')).rejects.toBeInstanceOf(UnknownKeyError);
    expect(iss.fetches).toBe(3);
  });

  it('shares one fetch among 200 concurrent unknown kids', async () => {
    const keys = store();
    await keys.getKey('key-1');
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => keys.getKey(`random-${i}`)),
    );
    expect(
      results.every((r) => r.status === 'rejected' && r.reason instanceof UnknownKeyError),
    ).toBe(true);
    expect(iss.fetches).toBe(2);
  });

  it('serves stale keys while the issuer is down, for at most jwksMaxStaleMs past max age', async () => {
    const keys = store({ jwksCacheMaxAgeMs: 60_000, jwksMaxStaleMs: 120_000 });
    await keys.getKey('key-1');
    iss.down = true;
    clock += 60_000; // stale: a refresh is tried, fails, the stale key still serves
    await expect(keys.getKey('key-1')).resolves.toBeDefined();
    expect(iss.fetches).toBe(2);
    clock += 120_000 - 1; // last millisecond of allowed staleness
    await expect(keys.getKey('key-1')).resolves.toBeDefined();
    clock += 1;
    const err = await keys.getKey('key-1').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JwksUnavailableError);
    expect((err as JwksUnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(keys.isPublished('key-1')).toBe(false);
    iss.down = false;
    clock += 1_000; // past the failure cooldown: the next request refetches and recovers
    await expect(keys.getKey('key-1')).resolves.toBeDefined();
  });

  it('answers an unknown kid with 503-worthy unavailability when its refetch fails', async () => {
    const keys = store();
    await keys.getKey('key-1');
    iss.down = true;
    await expect(keys.getKey('key-2')).rejects.toBeInstanceOf(JwksUnavailableError);
    // The failure cooldown, not the penalty window, gates the next attempt.
    await expect(keys.getKey('key-3')).rejects.toBeInstanceOf(JwksUnavailableError);
    expect(iss.fetches).toBe(2);
    iss.down = false;
    clock += 1_000;
    await expect(keys.getKey('key-1')).resolves.toBeDefined();
  });

  it('reports readiness from the latest fetch, probing at most once per window', async () => {
    const keys = store();
    await expect(keys.isReady()).resolves.toBe(true);
    await expect(keys.isReady()).resolves.toBe(true);
    expect(iss.fetches).toBe(1);
    iss.down = true;
    clock += WINDOW;
    await expect(keys.isReady()).resolves.toBe(false);
    expect(iss.fetches).toBe(2);
    iss.down = false;
    clock += 1_000;
    await expect(keys.isReady()).resolves.toBe(true);
  });
});
