// A real redis-server (Debian's package) for the token-cache tests: on a free loopback
// port, nothing on disk (no RDB snapshot, no AOF, its working folder removed on stop), and
// controllable the way an outage looks from a client: stopped, killed, paused (SIGSTOP:
// connections stay open, nothing answers), restarted on the same port.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, root } from '../../scripts/lib/fleet.mjs';
import {
  redisAnswers,
  redisServerArgs,
  untilRedisAnswers,
} from '../../scripts/lib/redis-server.mjs';

function redisBinary(): string {
  const candidates = [process.env.REDIS_SERVER_PATH, '/usr/bin/redis-server'];
  const found = () => candidates.find((c): c is string => !!c && existsSync(c));
  if (!found()) {
    // As .ci/run does: the test setup installs what it needs when it may (root + apt-get).
    execFileSync('bash', [join(root, 'scripts', 'ensure-test-deps.sh'), 'redis-server'], {
      stdio: 'inherit',
    });
  }
  const binary = found();
  if (!binary) {
    throw new Error(
      'redis-server not found: run scripts/ensure-test-deps.sh as root ' +
        '(or set REDIS_SERVER_PATH); the token-cache tests need a real Redis',
    );
  }
  return binary;
}

/** Every server started by this test process and not yet stopped: killed if it exits. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of live) proc.kill('SIGKILL');
});

export interface RedisServerOptions {
  /** `requirepass`: clients must authenticate (URL `redis://:password@host:port`). */
  password?: string;
}

/** One redis-server process; `url` stays the same across {@link restart}. */
export class RedisServer {
  private proc?: ChildProcess;
  private output = '';

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = await mkdtemp(join(tmpdir(), 'redis-test-'));
    // A port free now can be taken before redis binds it: try a few.
    for (let attempt = 0; ; attempt += 1) {
      const server = new RedisServer(await freePort(), dir, options);
      try {
        await server.launch();
        return server;
      } catch (error) {
        if (attempt >= 2) {
          await rm(dir, { recursive: true, force: true });
          throw error;
        }
      }
    }
  }

  /** `redis://127.0.0.1:<port>`, with the password when there is one. */
  get url(): string {
    const auth = this.options.password ? `:${encodeURIComponent(this.options.password)}@` : '';
    return `redis://${auth}127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  private async launch(): Promise<void> {
    const args = redisServerArgs({
      port: this.port,
      dir: this.dir,
      password: this.options.password,
    });
    const proc = spawn(redisBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    this.output = '';
    for (const stream of [proc.stdout, proc.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (this.output = (this.output + chunk).slice(-16_384)));
    }
    if (await untilRedisAnswers(this.port, () => this.running)) return;
    proc.kill('SIGKILL');
    throw new Error(`redis-server did not start on port ${this.port}:\n${this.output}`);
  }

  /** Whether the server answers at all within `timeoutMs` (false when stopped or paused). */
  answers(timeoutMs = 200): Promise<boolean> {
    return redisAnswers(this.port, timeoutMs);
  }

  /** Stops the server (SIGTERM, SIGKILL after 2 s): connections close, new ones are refused. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running) return;
    this.resume();
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }

  /** Starts it again on the same port, empty (nothing was kept on disk). */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** SIGSTOP: the process keeps its connections but answers nothing (a hung Redis). */
  pause(): void {
    if (this.running) this.proc!.kill('SIGSTOP');
  }

  resume(): void {
    if (this.running) this.proc!.kill('SIGCONT');
  }

  /** Stops it for good and removes its working folder. */
  async close(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
