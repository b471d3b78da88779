// Test-only: what every TokenCacheStore gives the clients on it, run against each store
// (the in-process one, Redis, the toy one): replicas are token providers, each on the store
// its process would have, all asking one scripted token endpoint that counts requests.
// Not built into dist.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScriptedTokenEndpoint } from '../../../../test/helpers/scripted-token-endpoint.js';
import { FileClientSecret } from './client-secret.js';
import type { TokenCacheStore } from './token-cache.store.js';
import { TokenProvider } from './token-provider.js';
import type { TokenProviderOptions } from './token-provider.options.js';

/** The store under test, as the replicas of a fleet use it. */
export interface StoreFleet {
  /**
   * The store of one more replica: a new one per replica for a store shared over the
   * network (it needs a lease for one request across them), the same instance for one that
   * lives in this process.
   */
  replica(): TokenCacheStore;
  /** Takes the store down, then brings it back empty. Absent: the store cannot fail. */
  outage?: { start(): Promise<void>; end(): Promise<void> };
  /** Before each test: nothing stored. */
  reset(): void;
}

const SECRET = 'conformance-secret-0123456789';

/** An issuer that knows the secrets `secrets` of client `svc`: `invalid_client` for any other. */
export function acceptOnly(endpoint: ScriptedTokenEndpoint, ...secrets: string[]) {
  endpoint.respond = (res, seen) => {
    const basic = Buffer.from(
      (seen.headers.authorization ?? '').replace(/^Basic /, ''),
      'base64',
    ).toString();
    if (secrets.some((secret) => basic === `svc:${secret}`)) endpoint.ok(res);
    else endpoint.json(res, 400, { error: 'invalid_client' });
  };
}

/** Registers the conformance tests of the store `fleet` gives. */
export function describeTokenCacheStore(name: string, fleet: StoreFleet) {
  describe(`${name}: the TokenCacheStore conformance`, () => {
    let endpoint: ScriptedTokenEndpoint;
    let logs: { level: string; message: string }[];
    const providers: TokenProvider[] = [];

    const logger = {
      warn: (message: string) => void logs.push({ level: 'warn', message }),
      log: (message: string) => void logs.push({ level: 'log', message }),
      error: (message: string) => void logs.push({ level: 'error', message }),
    };
    /** One provider on `cache` (by default a new replica's store). */
    const provider = (options: Partial<TokenProviderOptions> = {}, cache = fleet.replica()) => {
      const p = new TokenProvider(
        {
          tokenUrl: endpoint.url,
          clientId: 'svc',
          clientSecret: SECRET,
          scopes: ['api/read'],
          cache,
          ...options,
        },
        { logger },
      );
      providers.push(p);
      return p;
    };
    const warnings = () => logs.filter((l) => l.level === 'warn').map((l) => l.message);

    beforeEach(async () => {
      logs = [];
      fleet.reset();
      endpoint = new ScriptedTokenEndpoint();
      await endpoint.start();
    });
    afterEach(async () => {
      for (const p of providers.splice(0)) p.close();
      await endpoint.stop();
    });

    it('single flight: five replicas, 20 concurrent cold calls each, one token request', async () => {
      const replicas = Array.from({ length: 5 }, () => provider());
      const tokens = await Promise.all(
        replicas.flatMap((p) => Array.from({ length: 20 }, () => p.getToken())),
      );
      expect(new Set(tokens)).toEqual(new Set(['tok-1']));
      expect(endpoint.seen).toHaveLength(1);
      // Then every replica serves from its own process.
      for (const p of replicas) expect(p.peekToken()).toBe('tok-1');
      // A replica started later reads the fleet's token.
      expect(await provider().getToken()).toBe('tok-1');
      expect(endpoint.seen).toHaveLength(1);
    });

    it('refresh ahead: once for the fleet, while the current token keeps serving', async () => {
      // 10 s tokens refreshed from 10% (1 s) on, usable until 5 s (the expiry skew).
      endpoint.respond = (res) => endpoint.ok(res, 10);
      const replicas = Array.from({ length: 4 }, () => provider({ refreshAhead: 0.1 }));
      await Promise.all(replicas.map((p) => p.getToken()));
      expect(endpoint.seen).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 1_400));
      for (let round = 0; round < 10; round += 1) {
        for (const p of replicas) expect(await p.getToken()).toMatch(/^tok-[12]$/);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(endpoint.seen).toHaveLength(2);
      const served = await Promise.all(replicas.map((p) => p.getToken()));
      expect(new Set(served)).toEqual(new Set(['tok-2']));
    });

    it("errors remembered: an OAuth error costs each replica one request, never another's token", async () => {
      acceptOnly(endpoint, SECRET);
      expect(await provider().getToken()).toBe('tok-1');
      const cache = fleet.replica();
      const wrong = [0, 1].map(() => provider({ clientSecret: 'not-the-secret' }, cache));
      for (let i = 0; i < 10; i += 1) {
        await expect(wrong[i % 2].getToken({ forceRefresh: i % 3 === 0 })).rejects.toMatchObject({
          name: 'TokenEndpointError',
          code: 'invalid_client',
        });
      }
      expect(endpoint.seen).toHaveLength(2);
      expect(wrong[0].peekToken()).toBeUndefined();
      expect(logs.filter((l) => l.level === 'error')).toHaveLength(1);
    });

    it('a 401 forces one new token for the fleet; the fresh one rejected too starts a cooldown', async () => {
      const [a, b] = [provider(), provider()];
      const first = await a.getToken();
      expect(await b.getToken()).toBe(first);
      const forced = await Promise.all(
        [a, b, a, b].map((p) => p.getToken({ forceRefresh: true, rejectedToken: first })),
      );
      expect(new Set(forced)).toEqual(new Set(['tok-2']));
      expect(endpoint.seen).toHaveLength(2);
      for (let i = 0; i < 6; i += 1) {
        await expect(
          [a, b][i % 2].getToken({ forceRefresh: true, rejectedToken: 'tok-2' }),
        ).rejects.toMatchObject({ code: 'token_rejected' });
      }
      expect(endpoint.seen).toHaveLength(2);
      // Calls that do not force a refresh keep the token meanwhile.
      expect(await a.getToken()).toBe('tok-2');
    });

    it('a secret rotated in the file every replica reads: one more request for the fleet, no call fails', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'conformance-rotation-'));
      try {
        const file = join(dir, 'client-secret');
        await writeFile(file, `${SECRET}\n`);
        acceptOnly(endpoint, SECRET);
        const source = (checkIntervalMs: number) => new FileClientSecret(file, { checkIntervalMs });
        const replicas = Array.from({ length: 3 }, () => provider({ clientSecret: source(0) }));
        // One that looks at its file once an hour: it learns of the rotation from the issuer.
        const late = provider({ clientSecret: source(3_600_000) });
        const old = await late.getToken();
        for (const p of replicas) expect(await p.getToken()).toBe(old);
        expect(endpoint.seen).toHaveLength(1);

        // Cognito has two secrets; the new one is published; then the old one is deleted.
        acceptOnly(endpoint, SECRET, 'rotated-secret-0123456789');
        await writeFile(file, 'rotated-secret-0123456789\n');
        const fresh = await vi.waitFor(async () => {
          // Every call answered (with the old token until the new one is there).
          const served = await Promise.all(replicas.map((p) => p.getToken()));
          expect(new Set(served).size).toBe(1);
          expect(served[0]).not.toBe(old);
          return served[0];
        });
        acceptOnly(endpoint, 'rotated-secret-0123456789');
        for (let round = 0; round < 5; round += 1) {
          for (const p of replicas) expect(await p.getToken()).toBe(fresh);
        }
        expect(endpoint.seen).toHaveLength(2);

        // The late replica still serves its token; after a 401 it asks with the deleted secret
        // once, is refused, reads its file again and takes the fleet's token: no call fails.
        expect(await late.getToken()).toBe(old);
        expect(await late.getToken({ forceRefresh: true, rejectedToken: old })).toBe(fresh);
        expect(endpoint.seen).toHaveLength(3);
        expect(JSON.stringify(logs)).not.toContain('rotated-secret');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    const { outage } = fleet;
    if (!outage) return;
    it('store failures never fail a call: one request per replica at most, one warning each', async () => {
      const warm = provider();
      await warm.getToken();
      await outage.start();
      try {
        const cold = Array.from({ length: 3 }, () => provider());
        for (const p of cold) {
          for (let i = 0; i < 5; i += 1) expect(await p.getToken()).toMatch(/^tok-/);
        }
        expect(endpoint.seen.length).toBeGreaterThanOrEqual(2);
        expect(endpoint.seen.length).toBeLessThanOrEqual(1 + cold.length);
        // The replica that had the token keeps it without asking anyone.
        expect(warm.peekToken()).toBe('tok-1');
        const readiness = await cold[0].readiness();
        expect(readiness.up).toBe(true);
        expect(readiness.up && readiness.store).toMatch(
          /: unavailable since .+; this replica uses its own cache$/,
        );
        const down = warnings();
        expect(down.length).toBeGreaterThanOrEqual(1);
        expect(down.length).toBeLessThanOrEqual(cold.length);
        expect(down.every((w) => /^Shared token cache \(.+\) unavailable \(\w+\)/.test(w))).toBe(
          true,
        );
        expect(JSON.stringify(logs)).not.toContain(SECRET);
      } finally {
        await outage.end();
      }
      // Back: replicas share again.
      const before = endpoint.seen.length;
      const back = Array.from({ length: 3 }, () => provider());
      await Promise.all(back.map((p) => p.getToken()));
      expect(endpoint.seen.length).toBe(before + 1);
    });
  });
}
