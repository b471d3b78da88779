import { join } from 'node:path';
import {
  entryPoint,
  freePort,
  launch,
  type Launched,
  localUrl,
  prepareTls,
  root,
  sleep,
  tracingImport,
  waitReady,
} from '../../scripts/lib/fleet.mjs';

export const READ_CLIENT = { id: 'weather-caller', secret: 'weather-caller-dev-secret' };
export const WRITE_CLIENT = { id: 'weather-admin', secret: 'weather-admin-dev-secret' };
export const READ_SCOPE = 'weather-api/forecast.read';
export const WRITE_SCOPE = 'weather-api/forecast.write';

/** The caller's environment for a weather-api and a token endpoint: the demo pool's clients. */
export function callerEnv(weatherApiUrl: string, tokenUrl: string): Record<string, string> {
  return {
    WEATHER_API_URL: weatherApiUrl,
    OAUTH_TOKEN_URL: tokenUrl,
    OAUTH_CLIENT_ID: READ_CLIENT.id,
    OAUTH_CLIENT_SECRET: READ_CLIENT.secret,
    OAUTH_SCOPES: READ_SCOPE,
    OAUTH_WRITE_CLIENT_ID: WRITE_CLIENT.id,
    OAUTH_WRITE_CLIENT_SECRET: WRITE_CLIENT.secret,
    OAUTH_WRITE_SCOPES: WRITE_SCOPE,
  };
}

type Name = 'emulator' | 'weather-api' | 'caller';
const APPS: Record<Name, string> = {
  emulator: 'cognito-emulator',
  'weather-api': 'weather-api',
  caller: 'caller',
};
const GUARD = join(root, 'test', 'helpers', 'orphan-guard.mjs');

/** Every process any fleet in this test process started and has not seen exit. */
const live = new Set<Launched>();
process.once('exit', () => {
  for (const p of live) if (!p.exited && p.pid) process.kill(-p.pid, 'SIGKILL');
});

interface Service {
  port: number;
  url: string;
  env: Record<string, string>;
  /** What node runs: the entry point, or for a fleet as `npm start` runs it the wait first. */
  args: string[];
  proc?: Launched;
  /** Output of earlier runs of this service (before a restart). */
  earlier: string;
}

/**
 * The three services as real processes from dist/ (the entry points npm start and the
 * Dockerfile run), on ports free at start, wired to each other like `npm start` does.
 * Ports stay the same across restarts, so a restarted service is found where it was.
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
    const emulatorUrl = localUrl(APPS.emulator, emulatorPort, tls);
    const issuer = `${emulatorUrl}/us-east-1_Weather01`;
    const common = { HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_ENV: 'production' };
    const emulatorEnv = {
      ...common,
      PORT: String(emulatorPort),
      COGNITO_EMULATOR_POOL_FILE: 'libs/fleet-auth/pool.json',
      COGNITO_EMULATOR_KEYS_FILE: keysFile,
      ...(tls && { COGNITO_EMULATOR_TLS: 'true' }),
    };
    const trust = tls ? await prepareTls(emulatorEnv) : {};
    const service = (name: Name, port: number, env: Record<string, string>): Service => ({
      port,
      url: localUrl(APPS[name], port, tls),
      env: { ...common, ...env, ...(name !== 'emulator' && trust), PORT: String(port) },
      args:
        tls && name !== 'emulator'
          ? ['scripts/start.mjs', '--wait-for', emulatorUrl, '--then', entryPoint(APPS[name])]
          : [entryPoint(APPS[name])],
      earlier: '',
    });
    const fleet = new ProcessFleet(
      {
        emulator: service('emulator', emulatorPort, emulatorEnv),
        'weather-api': service('weather-api', apiPort, {
          AUTH_ISSUER: issuer,
          AUTH_CLIENT_IDS: `${READ_CLIENT.id},${WRITE_CLIENT.id}`,
        }),
        caller: service('caller', callerPort, {
          ...callerEnv(`http://127.0.0.1:${apiPort}`, `${emulatorUrl}/oauth2/token`),
          OAUTH_WRITE_SCOPES: `${READ_SCOPE} ${WRITE_SCOPE}`,
        }),
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
    return `${this.url('emulator')}/us-east-1_Weather01`;
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
    const proc = launch(['--import', GUARD, ...tracingImport(APPS[name]), ...s.args], {
      env: { OTEL_SERVICE_NAME: APPS[name], ...s.env },
    });
    s.proc = proc;
    live.add(proc);
    void proc.exit.then(() => live.delete(proc));
    const ready = await waitReady(s.url, { timeoutMs: 30_000, alive: () => !proc.exited });
    if (!ready) {
      await proc.stop(1000);
      throw new Error(`${name} did not become ready:\n${proc.output}`);
    }
  }

  /**
   * Another process of `name` on a free port, with `env` over its own, alive once it
   * answers `/health/live` (it may never be ready: that can be the point). Stop it yourself.
   */
  async launchVariant(
    name: Name,
    env: Record<string, string>,
  ): Promise<{ url: string; proc: Launched }> {
    const port = await freePort();
    const proc = launch(['--import', GUARD, ...tracingImport(APPS[name]), entryPoint(APPS[name])], {
      env: {
        OTEL_SERVICE_NAME: APPS[name],
        ...this.services[name].env,
        ...env,
        PORT: String(port),
      },
    });
    live.add(proc);
    void proc.exit.then(() => live.delete(proc));
    const url = localUrl(APPS[name], port, this.tls);
    const deadline = Date.now() + 30_000;
    while (
      !(await fetch(`${url}/health/live`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (proc.exited || Date.now() > deadline) {
        await proc.stop(1000);
        throw new Error(`${name} (variant) did not come up:\n${proc.output}`);
      }
      await sleep(50);
    }
    return { url, proc };
  }

  /** Stops `name`: SIGTERM (a clean shutdown) or SIGKILL (a crash). */
  async stop(name: Name, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const s = this.services[name];
    const proc = s.proc;
    if (!proc || proc.exited) return;
    if (signal === 'SIGKILL' && proc.pid) process.kill(-proc.pid, 'SIGKILL');
    await proc.stop(5000);
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

/** A client-credentials token straight from the token endpoint (client_secret_basic). */
export async function getToken(
  tokenUrl: string,
  client: { id: string; secret: string },
  scope?: string,
): Promise<string> {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope && { scope }) }),
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

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

/** Successful token requests the emulator counted for `clientId`. */
export async function issuedTokens(emulatorUrl: string, clientId: string): Promise<number> {
  const text = await (await fetch(`${emulatorUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('cognito_emulator_token_requests_total{')) continue;
    if (!line.includes(`client_id="${clientId}"`) || !line.includes('outcome="success"')) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
