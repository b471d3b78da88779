import {
  demoClient,
  demoIssuer,
  freePort,
  launchService,
  localUrl,
  localWiring,
  prepareTls,
  type ServiceProcess,
  tokenRequests,
} from '../../scripts/lib/fleet.mjs';

export const READ_CLIENT = demoClient('weather-caller');
export const WRITE_CLIENT = demoClient('weather-admin');
export const READ_SCOPE = 'weather-api/forecast.read';
export const WRITE_SCOPE = 'weather-api/forecast.write';

/** What every service the cross-service e2e starts runs with, unless a test says otherwise. */
export const TEST_ENV = { LOG_LEVEL: 'info', NODE_ENV: 'production' };

type Name = 'emulator' | 'weather-api' | 'caller';
const APPS: Record<Name, string> = {
  emulator: 'cognito-emulator',
  'weather-api': 'weather-api',
  caller: 'caller',
};

interface Service {
  port: number;
  url: string;
  env: Record<string, string>;
  /** For a fleet as `npm start` runs it: the URL whose readiness the process awaits first. */
  after?: string;
  proc?: ServiceProcess;
  /** Output of earlier runs of this service (before a restart). */
  earlier: string;
}

/**
 * The three services as real processes from dist/ (the entry points npm start and the
 * Dockerfile run), through the fleet kit, on ports free at start, wired to each other like
 * `npm start` does. Ports stay the same across restarts, so a restarted service is found
 * where it was.
 * `tls`: as `COGNITO_EMULATOR_TLS=true npm start` runs them: the emulator over HTTPS with
 * its dev CA (beside the keys file) made before anything starts and trusted by this
 * process, the three started at once, the others through npm start's wait for the emulator
 * with `NODE_EXTRA_CA_CERTS` naming the CA.
 */
export class ProcessFleet {
  private constructor(
    private readonly services: Record<Name, Service>,
    private readonly tls: boolean,
  ) {}

  static async start(keysFile: string, { tls = false } = {}): Promise<ProcessFleet> {
    const [emulatorPort, apiPort, callerPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const urls = {
      'cognito-emulator': localUrl(APPS.emulator, emulatorPort, tls),
      'weather-api': localUrl(APPS['weather-api'], apiPort),
      caller: localUrl(APPS.caller, callerPort),
    };
    const emulatorEnv = {
      ...TEST_ENV,
      COGNITO_EMULATOR_POOL_FILE: 'libs/fleet-auth/pool.json',
      COGNITO_EMULATOR_KEYS_FILE: keysFile,
      ...(tls && { COGNITO_EMULATOR_TLS: 'true' }),
    };
    const trust = tls ? await prepareTls(emulatorEnv) : {};
    const service = (name: Name, port: number, env: Record<string, string>): Service => ({
      port,
      url: localUrl(APPS[name], port, tls),
      env: { ...TEST_ENV, ...env, ...(name !== 'emulator' && trust) },
      after: tls && name !== 'emulator' ? urls['cognito-emulator'] : undefined,
      earlier: '',
    });
    const fleet = new ProcessFleet(
      {
        emulator: service('emulator', emulatorPort, emulatorEnv),
        'weather-api': service('weather-api', apiPort, {
          ...localWiring('weather-api', urls),
          AUTH_CLIENT_IDS: `${READ_CLIENT.id},${WRITE_CLIENT.id}`,
        }),
        caller: service('caller', callerPort, localWiring('caller', urls)),
      },
      tls,
    );
    try {
      const names = ['emulator', 'weather-api', 'caller'] as const;
      if (tls) await Promise.all(names.map((name) => fleet.launch(name)));
      else for (const name of names) await fleet.launch(name);
    } catch (error) {
      await fleet.stopAll();
      throw error;
    }
    return fleet;
  }

  url(name: Name): string {
    return this.services[name].url;
  }

  /** The environment `name` runs with (a copy), to start a variant of it. */
  env(name: Name): Record<string, string> {
    return { ...this.services[name].env };
  }

  get issuer(): string {
    return demoIssuer(this.url('emulator'));
  }

  get tokenUrl(): string {
    return `${this.url('emulator')}/oauth2/token`;
  }

  pid(name: Name): number | undefined {
    return this.services[name].proc?.pid;
  }

  /** Starts `name` (again) and waits until it is ready; throws with its output if not. */
  async launch(name: Name): Promise<void> {
    const s = this.services[name];
    if (s.proc && !s.proc.exited) throw new Error(`${name} is already running`);
    s.proc = await launchService(APPS[name], {
      name,
      port: s.port,
      tls: this.tls,
      after: s.after,
      env: s.env,
    });
  }

  /**
   * Another process of `name` on a free port, with `env` over its own, alive once it
   * answers `/health/live` (it may never be ready: that can be the point). Stop it yourself.
   */
  launchVariant(name: Name, env: Record<string, string>): Promise<ServiceProcess> {
    return launchService(APPS[name], {
      name: `${name} (variant)`,
      tls: this.tls,
      env: { ...this.services[name].env, ...env },
      until: 'live',
    });
  }

  /** Stops `name`: SIGTERM (a clean shutdown) or SIGKILL (a crash). */
  async stop(name: Name, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const s = this.services[name];
    const proc = s.proc;
    if (!proc || proc.exited) return;
    if (signal === 'SIGKILL') await proc.kill();
    else await proc.stop(5000);
    s.earlier += proc.output;
  }

  async restart(name: Name): Promise<void> {
    await this.stop(name);
    await this.launch(name);
  }

  isRunning(name: Name): boolean {
    const proc = this.services[name].proc;
    return proc !== undefined && !proc.exited;
  }

  /** Everything every service wrote to stdout/stderr, across restarts. */
  output(): string {
    return Object.values(this.services)
      .map((s) => s.earlier + (s.proc && !s.proc.exited ? s.proc.output : ''))
      .join('\n');
  }

  async stopAll(): Promise<void> {
    const names = ['caller', 'weather-api', 'emulator'] as const;
    await Promise.all(names.map((name) => this.stop(name)));
  }
}

/** Successful token requests the emulator counted for `clientId`. */
export const issuedTokens = (emulatorUrl: string, clientId: string): Promise<number> =>
  tokenRequests(emulatorUrl, clientId, { outcome: 'success' });

/** The decoded JOSE header or payload of a compact JWT. */
export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
} {
  const [header, claims] = token
    .split('.')
    .slice(0, 2)
    .map(
      (part) =>
        JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>,
    );
  return { header, claims };
}
