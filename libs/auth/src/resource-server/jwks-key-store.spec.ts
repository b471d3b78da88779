import { generateKeyPairSync } from 'node:crypto';
import { Logger } from '@nestjs/common';
import {
  endlessJson,
  peersClosedAfterEach,
  respond,
  trickle,
} from '../../../../test/helpers/hostile-peers.js';
import { JwksFetchError } from './jwks-fetcher.js';
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
        jwksMaxBytes: 1024 * 1024,
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
    expect(keys.publishedKey('key-1')).toBeUndefined();
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

  describe('against a hostile or weak key set', () => {
    const at = peersClosedAfterEach();
    afterEach(() => vi.restoreAllMocks());
    const rsaJwk = (kid: string, modulusLength: number) => ({
      ...generateKeyPairSync('rsa', { modulusLength }).publicKey.export({ format: 'jwk' }),
      kid,
      alg: 'RS256',
      use: 'sig',
    });
    const json = { 'Content-Type': 'application/json' };

    it('drops RSA keys under 2048 bits, warning once per kid over repeated fetches', async () => {
      const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const body = JSON.stringify({ keys: [rsaJwk('strong', 2048), rsaJwk('weak', 1024)] });
      const peer = await at(respond(200, json, body));
      const keys = store({ jwksUri: peer.url, jwksPenaltyWindowMs: 0 });
      await expect(keys.getKey('strong')).resolves.toBeDefined();
      for (let i = 0; i < 3; i++) {
        await expect(keys.getKey('weak')).rejects.toBeInstanceOf(UnknownKeyError);
      }
      expect(peer.requests).toBe(4);
      expect(warn.mock.calls.map(([message]) => message as unknown)).toEqual([
        'Key set key "weak" is a 1024-bit RSA key, under the 2048 bits required: not trusted',
      ]);
    });

    it('treats a set of weak keys only as no key set (503, never accepted)', async () => {
      vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const peer = await at(respond(200, json, JSON.stringify({ keys: [rsaJwk('weak', 1024)] })));
      await expect(store({ jwksUri: peer.url }).getKey('weak')).rejects.toBeInstanceOf(
        JwksUnavailableError,
      );
    });

    it('gives up on a key set that streams without end at the size cap, its connection closed', async () => {
      vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const peer = await at(endlessJson());
      const err = await store({ jwksUri: peer.url, jwksMaxBytes: 256 * 1024 })
        .getKey('any')
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(JwksUnavailableError);
      expect((err as JwksUnavailableError).cause).toBeInstanceOf(JwksFetchError);
      expect(((err as JwksUnavailableError).cause as JwksFetchError).code).toBe('jwks_too_large');
      expect(await peer.allClosed(2000)).toBe(true);
    });

    it('aborts the fetch in flight when destroyed', async () => {
      vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const peer = await at(trickle('{"keys":[]}', 100));
      const keys = store({ jwksUri: peer.url, jwksTimeoutMs: 30_000 });
      const pending = keys.getKey('any');
      await new Promise((resolve) => setTimeout(resolve, 150));
      const started = Date.now();
      keys.onModuleDestroy();
      await expect(pending).rejects.toBeInstanceOf(JwksUnavailableError);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await peer.allClosed(2000)).toBe(true);
    });
  });
});
