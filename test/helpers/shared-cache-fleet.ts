// Caller processes sharing a token cache in Redis, through the fleet kit: the emulator (the
// issuer, whose /metrics count token requests) and weather-api started once, then as many
// callers as a test wants, each with the environment of the Redis topology under test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  launchService,
  localWiring,
  type ServiceProcess,
  stopAll,
} from '../../scripts/lib/fleet.mjs';
import { issuedTokens, READ_CLIENT, TEST_ENV, WRITE_CLIENT } from './process-fleet.js';

/** The one line a caller logs when its shared cache fails (once per outage). */
export const UNAVAILABLE = /Shared token cache \(Redis\) unavailable \((\w+)\)/g;

export class SharedCacheFleet {
  private readonly started = new Set<ServiceProcess>();

  private constructor(
    private readonly dir: string,
    readonly emulator: ServiceProcess,
    readonly api: ServiceProcess,
  ) {}

  /** The issuer and the resource server, ready. */
  static async start(): Promise<SharedCacheFleet> {
    const dir = await mkdtemp(join(tmpdir(), 'shared-cache-e2e-'));
    const emulator = await launchService('cognito-emulator', {
      env: {
        ...TEST_ENV,
        COGNITO_EMULATOR_POOL_FILE: 'libs/fleet-auth/pool.json',
        COGNITO_EMULATOR_KEYS_FILE: join(dir, 'keys.json'),
      },
    });
    const api = await launchService('weather-api', {
      env: {
        ...TEST_ENV,
        ...localWiring('weather-api', { 'cognito-emulator': emulator.url }),
        AUTH_CLIENT_IDS: `${READ_CLIENT.id},${WRITE_CLIENT.id}`,
      },
    });
    const fleet = new SharedCacheFleet(dir, emulator, api);
    fleet.started.add(emulator).add(api);
    return fleet;
  }

  /** Successful token requests the issuer counted for `clientId` (the read client by default). */
  issued(clientId = READ_CLIENT.id): Promise<number> {
    return issuedTokens(this.emulator.url, clientId);
  }

  /** A caller's environment: wired to this fleet, with `redis` (TOKEN_CACHE_REDIS_*) over it. */
  callerEnv(redis: Record<string, string>): Record<string, string> {
    return {
      ...TEST_ENV,
      ...localWiring('caller', {
        'cognito-emulator': this.emulator.url,
        'weather-api': this.api.url,
      }),
      ...redis,
    };
  }

  /** Starts a caller with `env` on `port` (a free one by default); waits until it is ready. */
  async caller(env: Record<string, string>, port?: number): Promise<ServiceProcess> {
    const proc = await launchService('caller', { env, port: port ?? (await freePort()) });
    this.started.add(proc);
    return proc;
  }

  /** `count` callers started at the same moment. */
  callers(count: number, env: Record<string, string>): Promise<ServiceProcess[]> {
    return Promise.all(Array.from({ length: count }, () => this.caller(env)));
  }

  /** `n` concurrent GET /forecast on each of `callers`: every status. */
  static async hit(callers: ServiceProcess[], n: number): Promise<number[]> {
    return Promise.all(
      callers.flatMap((c) =>
        Array.from({ length: n }, async () => (await fetch(`${c.url}/forecast`)).status),
      ),
    );
  }

  async stop(procs: Iterable<ServiceProcess>): Promise<void> {
    const list = [...procs];
    await stopAll(list, 5000);
    for (const p of list) this.started.delete(p);
  }

  async close(): Promise<void> {
    await stopAll(this.started, 2000);
    await rm(this.dir, { recursive: true, force: true });
  }
}
