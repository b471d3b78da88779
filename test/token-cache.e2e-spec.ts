// One token per client per lifetime across a fleet: five caller processes from dist/ sharing
// a real redis-server, counted where it costs money, at the issuer (the emulator's /metrics).
import { triggerModulePath, type PoolDocument } from '@app/fleet-auth';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  launchService,
  localWiring,
  type ServiceProcess,
  stopAll,
} from '../scripts/lib/fleet.mjs';
import {
  issuedTokens,
  READ_CLIENT,
  READ_SCOPE,
  TEST_ENV,
  WRITE_CLIENT,
  WRITE_SCOPE,
} from './helpers/process-fleet.js';
import { RedisServer } from './helpers/redis-server.js';

const SHORT = { id: 'fleet-short', secret: 'fleet-short-test-secret' };
const UNAVAILABLE = /Shared token cache \(Redis\) unavailable/g;
const JWT = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/;

interface Caller {
  port: number;
  url: string;
  env: Record<string, string>;
  proc?: ServiceProcess;
  /** Output of its earlier runs. */
  earlier: string;
}

const started = new Set<ServiceProcess>();

/**
 * Starts `app` and waits until it is ready, or with `ready` false only live: a caller the
 * issuer refuses is never ready.
 */
async function start(
  app: string,
  env: Record<string, string>,
  { port, ready = true }: { port?: number; ready?: boolean } = {},
): Promise<ServiceProcess> {
  const proc = await launchService(app, {
    port,
    env: { ...TEST_ENV, ...env },
    until: ready ? 'ready' : 'live',
  });
  started.add(proc);
  return proc;
}

describe('five callers sharing one Redis token cache', () => {
  let dir: string;
  let redis: RedisServer;
  let emulator: ServiceProcess;
  let api: ServiceProcess;
  let emulatorUrl: string;
  let callers: Caller[];

  const issued = (clientId: string) => issuedTokens(emulatorUrl, clientId);
  const output = (c: Caller) => c.earlier + (c.proc?.output ?? '');

  const launchCaller = async (c: Caller) => {
    c.proc = await start('caller', c.env, { port: c.port });
  };
  const stopCaller = async (c: Caller) => {
    await c.proc?.stop(5000);
    c.earlier += c.proc?.output ?? '';
    c.proc = undefined;
  };
  /** `n` concurrent GET /forecast on every caller; every status. */
  const hitAll = async (n: number) =>
    (
      await Promise.all(
        callers.flatMap((c) =>
          Array.from({ length: n }, async () => (await fetch(`${c.url}/forecast`)).status),
        ),
      )
    ).sort();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'token-cache-e2e-'));
    redis = await RedisServer.start();
    // The demo pool plus a client with Cognito's shortest access-token lifetime (5 minutes).
    const pool = JSON.parse(await readFile('libs/fleet-auth/pool.json', 'utf8')) as PoolDocument & {
      clients: Record<string, unknown>[];
    };
    // The copy names the demo trigger module by its absolute path (relative is to the pool file).
    const trigger = pool.userPool!.lambdaConfig!.preTokenGenerationConfig!;
    trigger.module = triggerModulePath('libs/fleet-auth/pool.json', trigger.module);
    const template = pool.clients.find((c) => c.clientId === READ_CLIENT.id)!;
    pool.clients.push({
      ...template,
      clientId: SHORT.id,
      clientName: 'Short-lived fleet client',
      clientSecret: SHORT.secret,
      allowedOAuthScopes: [READ_SCOPE, WRITE_SCOPE],
      accessTokenValidity: 5,
      tokenValidityUnits: {
        ...(template.tokenValidityUnits as Record<string, string>),
        accessToken: 'minutes',
      },
    });
    await writeFile(join(dir, 'pool.json'), JSON.stringify(pool));
    emulator = await start('cognito-emulator', {
      COGNITO_EMULATOR_POOL_FILE: join(dir, 'pool.json'),
      COGNITO_EMULATOR_KEYS_FILE: join(dir, 'keys.json'),
    });
    emulatorUrl = emulator.url;
    const urls = { 'cognito-emulator': emulatorUrl };
    api = await start('weather-api', {
      ...localWiring('weather-api', urls),
      AUTH_CLIENT_IDS: `${READ_CLIENT.id},${WRITE_CLIENT.id},${SHORT.id}`,
    });
    const env = {
      ...localWiring('caller', { ...urls, 'weather-api': api.url }),
      // The write client lives 5 minutes and refreshes at 2% (6 s), only when it is used
      // (POST /observations): its refresh is testable without waiting minutes.
      OAUTH_WRITE_CLIENT_ID: SHORT.id,
      OAUTH_WRITE_CLIENT_SECRET: SHORT.secret,
      OAUTH_WRITE_SCOPES: `${READ_SCOPE} ${WRITE_SCOPE}`,
      OAUTH_WRITE_REFRESH_AHEAD: '0.02',
      TOKEN_CACHE_REDIS_URL: redis.url,
      TOKEN_CACHE_KEY_PREFIX: 'e2e-fleet:',
    };
    callers = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const port = await freePort();
        return { port, url: `http://127.0.0.1:${port}`, env, earlier: '' };
      }),
    );
  });

  afterAll(async () => {
    await stopAll(started, 2000);
    await redis?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('started at the same moment and hit by 50 concurrent calls each: one token request per client', async () => {
    await Promise.all(callers.map(launchCaller));
    const statuses = await hitAll(50);
    expect(statuses).toEqual(Array(250).fill(200));
    expect(await issued(READ_CLIENT.id)).toBe(1);
    // Fetched by the readiness probes, once for the five.
    expect(await issued(SHORT.id)).toBe(1);
  });

  it('a rolling restart of all five while the token is valid: zero more', async () => {
    for (const c of callers) {
      await stopCaller(c);
      await launchCaller(c);
      expect((await fetch(`${c.url}/forecast`)).status).toBe(200);
    }
    expect(await issued(READ_CLIENT.id)).toBe(1);
    expect(await issued(SHORT.id)).toBe(1);
  });

  it('the refresh ahead of expiry: exactly one more for the fleet', async () => {
    const observe = () =>
      Promise.all(
        callers.map(async (c) => {
          const res = await fetch(`${c.url}/observations`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ date: '2030-06-01', temperatureC: 21, summary: 'Mild' }),
          });
          return res.status;
        }),
      );
    const before = await issued(SHORT.id);
    // Calls on every replica until one passes its refresh point (6 s into the token, each
    // replica within 5 s of it) and refreshes for the fleet...
    const deadline = Date.now() + 20_000;
    while ((await issued(SHORT.id)) === before && Date.now() < deadline) {
      expect(new Set(await observe())).toEqual(new Set([201]));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await issued(SHORT.id)).toBe(before + 1);
    // ... then 4.5 s more of calls, as the others pass their points (the new token's own
    // point is 6 s away): they read the new token, none asks again.
    const window = Date.now() + 4_500;
    while (Date.now() < window) {
      expect(new Set(await observe())).toEqual(new Set([201]));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await issued(SHORT.id)).toBe(before + 1);
  });

  it('Redis stopped mid-run: every call answered, one request per replica at most, one warning each; back: shared again', async () => {
    const before = { read: await issued(READ_CLIENT.id), short: await issued(SHORT.id) };
    await redis.stop();
    expect(new Set(await hitAll(20))).toEqual(new Set([200]));
    // Two replicas restart during the outage: with nothing to read, each fetches its own.
    const restarted = callers.slice(0, 2);
    await Promise.all(restarted.map(stopCaller));
    await Promise.all(restarted.map(launchCaller));
    expect(new Set(await hitAll(20))).toEqual(new Set([200]));
    expect((await issued(READ_CLIENT.id)) - before.read).toBeLessThanOrEqual(2);
    expect((await issued(SHORT.id)) - before.short).toBeLessThanOrEqual(2);
    for (const c of restarted) expect(c.proc!.output.match(UNAVAILABLE)).toHaveLength(1);

    // Back (empty: nothing on disk). Three replicas restart: one fetches, two read it.
    await redis.restart();
    const mid = { read: await issued(READ_CLIENT.id), short: await issued(SHORT.id) };
    const again = callers.slice(2);
    await Promise.all(again.map(stopCaller));
    await Promise.all(again.map(launchCaller));
    expect(new Set(await hitAll(10))).toEqual(new Set([200]));
    expect((await issued(READ_CLIENT.id)) - mid.read).toBe(1);
    expect((await issued(SHORT.id)) - mid.short).toBe(1);
  });

  it("a replica with a wrong secret gets the issuer's invalid_client (502), never another replica's token", async () => {
    const wrong = await start(
      'caller',
      { ...callers[0].env, OAUTH_CLIENT_SECRET: 'not-the-secret' },
      { ready: false },
    );
    try {
      const res = await fetch(`${wrong.url}/forecast`);
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({
        dependency: 'token-endpoint',
        dependency_error: 'invalid_client',
      });
    } finally {
      await wrong.stop();
    }
  });

  it('no caller logged a secret, a token or the Redis URL', () => {
    for (const c of callers) {
      const text = output(c);
      expect(text.length).toBeGreaterThan(0);
      for (const secret of [SHORT.secret, READ_CLIENT.secret]) expect(text).not.toContain(secret);
      expect(text).not.toMatch(JWT);
      expect(text).not.toContain(redis.url);
    }
    expect(emulator.exited || api.exited).toBe(false);
  });
});
