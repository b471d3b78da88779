// Fleet-wide revocation as an incident uses it: two weather-api replicas from dist/ on one real
// redis-server, tokens from the emulator, and `npm run revoke` (scripts/revoke.mjs) run as a
// process, as an operator runs it.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import {
  fetchToken,
  launchService,
  localWiring,
  root,
  type ServiceProcess,
  sleep,
  stopAll,
} from '../scripts/lib/fleet.mjs';
import { READ_CLIENT, TEST_ENV, WRITE_CLIENT } from './helpers/process-fleet.js';
import { RedisServer } from './helpers/redis-server.js';

const ENTRIES = 'e2e:{revocations}:entries';
const VERSION = 'e2e:{revocations}:version';

/** `npm run revoke -- args` as a process: its exit code and output. */
function revokeCommand(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'scripts', 'revoke.mjs'), ...args],
      { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The `jti` of a token (its payload read, not verified: only to name it). */
const jtiOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { jti: string }).jti;

describe('revocation across a fleet of weather-api replicas', () => {
  let dir: string;
  let redis: RedisServer;
  let raw: ReturnType<typeof createClient>;
  let emulator: ServiceProcess;
  let replicas: ServiceProcess[];
  const started: ServiceProcess[] = [];
  let tokenUrl: string;
  let revokeEnv: Record<string, string>;

  const forecast = (replica: ServiceProcess, token: string) =>
    fetch(`${replica.url}/weatherforecast`, { headers: { authorization: `Bearer ${token}` } });
  const statuses = async (token: string) =>
    Promise.all(replicas.map(async (r) => (await forecast(r, token)).status));
  /** Milliseconds until every replica answers `status` to `token` (polled), or -1 after 10 s. */
  const until = async (token: string, status: number) => {
    const from = Date.now();
    while (Date.now() - from < 10_000) {
      if ((await statuses(token)).every((s) => s === status)) return Date.now() - from;
      await sleep(50);
    }
    return -1;
  };
  const written = async () => ({
    entries: await raw.zCard(ENTRIES),
    version: await raw.get(VERSION),
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'revocation-e2e-'));
    redis = await RedisServer.start();
    raw = createClient({ url: redis.url });
    raw.on('error', () => undefined);
    await raw.connect();
    emulator = await launchService('cognito-emulator', {
      env: { ...TEST_ENV, COGNITO_EMULATOR_KEYS_FILE: join(dir, 'keys.json') },
    });
    started.push(emulator);
    tokenUrl = `${emulator.url}/oauth2/token`;
    revokeEnv = { AUTH_REVOCATION_REDIS_URL: redis.url, AUTH_REVOCATION_KEY_PREFIX: 'e2e:' };
    const env = {
      ...TEST_ENV,
      ...localWiring('weather-api', { 'cognito-emulator': emulator.url }),
      ...revokeEnv,
    };
    replicas = await Promise.all([
      launchService('weather-api', { name: 'weather-api-1', env }),
      launchService('weather-api', { name: 'weather-api-2', env }),
    ]);
    started.push(...replicas);
  });

  afterAll(async () => {
    await stopAll(started, 2000);
    raw?.destroy();
    await redis?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses malformed input to the command with a message, and writes nothing', async () => {
    const before = await written();
    for (const [args, message] of [
      [['--client-id', 'weather caller'], /client id is 1-128/],
      [['--client-id', READ_CLIENT.id, '--before', 'yesterday'], /--before must be an ISO 8601/],
      [['--client-id', READ_CLIENT.id, '--before', '2999-01-01T00:00:00Z'], /in the future/],
      [['--jti', ''], /jti is 1-128/],
      [['--jti', 'x', '--client-id', READ_CLIENT.id], /exactly one of --client-id and --jti/],
      [['--jti', 'x', '--expires', '2001-01-01T00:00:00Z'], /expired already/],
      [['--jti'], /argument missing/],
      [['--client'], /Unknown option/],
    ] as const) {
      const run = await revokeCommand([...args], revokeEnv);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    const noStore = await revokeCommand(['--client-id', READ_CLIENT.id], {
      AUTH_REVOCATION_REDIS_URL: '',
    });
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toMatch(/pass --redis-url or set AUTH_REVOCATION_REDIS_URL/);
    expect(await written()).toEqual(before);
  }, 120_000);

  it('after `revoke --client-id`, both replicas refuse the old token within 2 s, and accept a newer one', async () => {
    const old = await fetchToken(tokenUrl, READ_CLIENT);
    const admin = await fetchToken(tokenUrl, WRITE_CLIENT, 'weather-api/forecast.read');
    expect(await statuses(old)).toEqual([200, 200]);
    const run = await revokeCommand(['--client-id', READ_CLIENT.id], revokeEnv);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^revoked: every token of client weather-caller issued at or before /,
    );
    const took = await until(old, 401);
    console.log(
      `[revocation] both replicas refused the client's old token ${took} ms after revoke`,
    );
    expect(took).toBeGreaterThanOrEqual(0);
    expect(took).toBeLessThan(2_000);
    const refused = await forecast(replicas[1], old);
    expect(refused.headers.get('www-authenticate')).toContain(
      'error="invalid_token", error_description="the token has been revoked"',
    );
    // Another client's token passes; a token issued after the revocation (iat: the next second) too.
    expect(await statuses(admin)).toEqual([200, 200]);
    await sleep(1_100);
    const fresh = await fetchToken(tokenUrl, READ_CLIENT);
    expect(await statuses(fresh)).toEqual([200, 200]);
  }, 60_000);

  it('refuses a token revoked by its jti on both replicas, others of the same client pass', async () => {
    const [leaked, other] = [
      await fetchToken(tokenUrl, WRITE_CLIENT, 'weather-api/forecast.read'),
      await fetchToken(tokenUrl, WRITE_CLIENT, 'weather-api/forecast.read'),
    ];
    expect(await statuses(leaked)).toEqual([200, 200]);
    const run = await revokeCommand(['--jti', jtiOf(leaked)], revokeEnv);
    expect(run.code).toBe(0);
    const took = await until(leaked, 401);
    console.log(`[revocation] both replicas refused the revoked jti ${took} ms after revoke`);
    expect(took).toBeGreaterThanOrEqual(0);
    expect(took).toBeLessThan(2_000);
    expect(await statuses(other)).toEqual([200, 200]);
  }, 60_000);

  it('with Redis stopped, keeps enforcing the last list and says so on readiness and in metrics', async () => {
    const revoked = await fetchToken(tokenUrl, WRITE_CLIENT, 'weather-api/forecast.read');
    await revokeCommand(['--jti', jtiOf(revoked)], revokeEnv);
    expect(await until(revoked, 401)).toBeGreaterThanOrEqual(0);
    const passing = await fetchToken(tokenUrl, WRITE_CLIENT, 'weather-api/forecast.read');
    await redis.stop();
    try {
      // The next reload (every 5 s) finds Redis gone.
      const stale = async (replica: ServiceProcess) => {
        const res = await fetch(`${replica.url}/health/ready`);
        const body = (await res.json()) as { info?: { revocation?: { state?: string } } };
        return res.status === 200 && body.info?.revocation?.state === 'stale';
      };
      const from = Date.now();
      while (!((await stale(replicas[0])) && (await stale(replicas[1])))) {
        expect(Date.now() - from).toBeLessThan(15_000);
        await sleep(200);
      }
      expect(await statuses(revoked)).toEqual([401, 401]);
      expect(await statuses(passing)).toEqual([200, 200]);
      for (const replica of replicas) {
        const metrics = await (await fetch(`${replica.url}/metrics`)).text();
        expect(metrics).toMatch(/^auth_revocation_store_up(\{[^}]*\})? 0$/m);
        expect(metrics).toMatch(/^auth_revocation_entries(\{[^}]*\})? [1-9]/m);
        expect(replica.output).toMatch(
          /Revocation list store unavailable \(\w+\): enforcing the last list/,
        );
        expect(replica.output).not.toContain(redis.url);
      }
    } finally {
      await redis.restart();
    }
  }, 60_000);
});
