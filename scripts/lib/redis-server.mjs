// The one throwaway redis-server of the tests and benches (Debian's package): on a free
// loopback port, nothing on disk (no RDB snapshot, no AOF, its working folder removed on
// close), and controllable the way an outage looks from a client: stopped, killed, paused
// (SIGSTOP: connections stay open, nothing answers), restarted on the same port.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, pollUntil, root } from './fleet.mjs';

/** redis-server's arguments for such a server; `password` sets `requirepass`. */
function redisServerArgs({ port, dir, password }) {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
  ];
  if (password) args.push('--requirepass', password);
  return args;
}

/**
 * Whether a server on `port` answers at all within `timeoutMs` (false when stopped or
 * paused). With requirepass, PING answers -NOAUTH: still an answer.
 */
function redisAnswers(port, timeoutMs = 200) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', () => done(true));
  });
}

/**
 * The redis-server binary: REDIS_SERVER_PATH or Debian's. When neither is there,
 * scripts/ensure-test-deps.sh installs it if it may (root and apt-get), as .ci/run does.
 */
function redisBinary() {
  const candidates = [process.env.REDIS_SERVER_PATH, '/usr/bin/redis-server'];
  const found = () => candidates.find((c) => !!c && existsSync(c));
  if (!found()) {
    execFileSync('bash', [join(root, 'scripts', 'ensure-test-deps.sh'), 'redis-server'], {
      stdio: 'inherit',
    });
  }
  const binary = found();
  if (!binary) {
    throw new Error(
      'redis-server not found: run scripts/ensure-test-deps.sh as root ' +
        '(or set REDIS_SERVER_PATH); the token-cache tests and bench need a real Redis',
    );
  }
  return binary;
}

/** One redis-server process; `url` stays the same across {@link RedisServer#restart}. */
export class RedisServer {
  #proc;
  #output = '';
  #killAtExit = () => this.#proc?.kill('SIGKILL');

  constructor(port, dir, options) {
    this.port = port;
    this.dir = dir;
    this.options = options;
  }

  /** Starts one; `password` sets requirepass (clients authenticate, URL `redis://:password@…`). */
  static async start(options = {}) {
    const dir = await mkdtemp(join(tmpdir(), 'redis-'));
    // A port free now can be taken before redis binds it: try a few.
    for (let attempt = 0; ; attempt += 1) {
      const server = new RedisServer(await freePort(), dir, options);
      try {
        await server.#launch();
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
  get url() {
    const auth = this.options.password ? `:${encodeURIComponent(this.options.password)}@` : '';
    return `redis://${auth}127.0.0.1:${this.port}`;
  }

  get running() {
    return (
      this.#proc !== undefined && this.#proc.exitCode === null && this.#proc.signalCode === null
    );
  }

  async #launch() {
    const args = redisServerArgs({
      port: this.port,
      dir: this.dir,
      password: this.options.password,
    });
    const proc = spawn(redisBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#proc = proc;
    process.once('exit', this.#killAtExit);
    proc.once('exit', () => process.off('exit', this.#killAtExit));
    let spawnError;
    proc.once('error', (error) => (spawnError = error));
    this.#output = '';
    for (const stream of [proc.stdout, proc.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => (this.#output = (this.#output + chunk).slice(-16_384)));
    }
    const alive = () => this.running && !spawnError;
    if (await pollUntil(() => this.answers(), { timeoutMs: 10_000, pollMs: 25, alive })) return;
    proc.kill('SIGKILL');
    throw (
      spawnError ?? new Error(`redis-server did not start on port ${this.port}:\n${this.#output}`)
    );
  }

  /** Whether the server answers at all within `timeoutMs` (false when stopped or paused). */
  answers(timeoutMs = 200) {
    return redisAnswers(this.port, timeoutMs);
  }

  /** Stops the server (SIGTERM, SIGKILL after 2 s): connections close, new ones are refused. */
  async stop(signal = 'SIGTERM') {
    const proc = this.#proc;
    if (!proc || !this.running) return;
    this.resume();
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }

  /** Starts it again on the same port, empty (nothing was kept on disk). */
  async restart() {
    await this.stop();
    await this.#launch();
  }

  /** SIGSTOP: the process keeps its connections but answers nothing (a hung Redis). */
  pause() {
    if (this.running) this.#proc.kill('SIGSTOP');
  }

  resume() {
    if (this.running) this.#proc.kill('SIGCONT');
  }

  /** Stops it for good and removes its working folder. */
  async close() {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
