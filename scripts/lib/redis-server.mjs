// The one throwaway Redis of the tests and benches (Debian's redis-server, or Valkey's): on
// free loopback ports, nothing on disk that outlives it (no RDB snapshot, no AOF, its working
// folder removed on close), and controllable the way an outage looks from a client: stopped,
// killed, paused (SIGSTOP: connections stay open, nothing answers), restarted on the same
// port. The topologies production runs are built from it: a single node (with requirepass,
// ACL users, TLS only), a cluster (primaries and replicas made by `redis-cli --cluster
// create`) and a Sentinel set (a primary, a replica, three Sentinels).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { freePort, pollUntil, root } from './fleet.mjs';

const run = promisify(execFile);

/** The binaries of each engine (Debian's packages; Valkey's from bookworm-backports). */
const ENGINES = {
  redis: { server: 'redis-server', cli: 'redis-cli', package: 'redis-server' },
  valkey: { server: 'valkey-server', cli: 'valkey-cli', package: 'valkey-server' },
};

/**
 * An engine's binary: for Redis, REDIS_SERVER_PATH or Debian's. When it is missing,
 * scripts/ensure-test-deps.sh installs it if it may (root and apt-get), as .ci/run does.
 */
function binary(engine, tool) {
  const { package: pkg, ...names } = ENGINES[engine];
  const candidates = [
    engine === 'redis' && tool === 'server' ? process.env.REDIS_SERVER_PATH : undefined,
    `/usr/bin/${names[tool]}`,
  ];
  const found = () => candidates.find((c) => !!c && existsSync(c));
  if (!found()) {
    execFileSync('bash', [join(root, 'scripts', 'ensure-test-deps.sh'), pkg], {
      stdio: 'inherit',
    });
  }
  const path = found();
  if (!path) {
    throw new Error(
      `${names[tool]} not found: run scripts/ensure-test-deps.sh as root ` +
        `(or install ${pkg}); the token-cache tests and bench need a real ${engine}`,
    );
  }
  return path;
}

/** Whether `engine`'s server is installed (or can be, as root), without failing. */
export function engineAvailable(engine) {
  try {
    binary(engine, 'server');
    binary(engine, 'cli');
    return true;
  } catch {
    return false;
  }
}

/** The server's version, e.g. `7.0.15` (Redis) or `8.0.1` (Valkey). */
export function engineVersion(engine) {
  const text = execFileSync(binary(engine, 'server'), ['--version'], { encoding: 'utf8' });
  return /v=(\S+)/.exec(text)?.[1] ?? text.trim();
}

/** The server's arguments for such a node. */
function serverArgs({ port, busPort, dir, options }) {
  if (options.sentinel) return [join(dir, 'sentinel.conf'), '--sentinel'];
  const { password, users = [], tls, cluster, replicaOf } = options;
  const args = [
    ...(tls ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)]),
    ...['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    ...['--daemonize', 'no', '--loglevel', 'warning'],
  ];
  if (password) args.push('--requirepass', password);
  // One argument per word: redis-server joins them into the `user` directive.
  for (const user of users) args.push('--user', ...user.split(' '));
  if (tls) {
    args.push('--tls-cert-file', tls.cert, '--tls-key-file', tls.key);
    args.push('--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no');
  }
  if (cluster) {
    args.push('--cluster-enabled', 'yes', '--cluster-port', String(busPort));
    args.push('--cluster-config-file', join(dir, 'nodes.conf'));
    // Failure detection in a second, so a test's failover takes seconds, not 15 s.
    args.push('--cluster-node-timeout', String(cluster.nodeTimeoutMs ?? 1000));
  }
  if (replicaOf) args.push('--replicaof', '127.0.0.1', String(replicaOf));
  return args;
}

/** A Sentinel's configuration (Sentinel rewrites it: it lives in the node's own folder). */
function sentinelConf({ port, dir, sentinel }) {
  const { master, primaryPort, downAfterMs = 1000 } = sentinel;
  return [
    `port ${port}`,
    'bind 127.0.0.1',
    `dir ${dir}`,
    `sentinel monitor ${master} 127.0.0.1 ${primaryPort} 2`,
    `sentinel down-after-milliseconds ${master} ${downAfterMs}`,
    `sentinel failover-timeout ${master} 5000`,
    `sentinel parallel-syncs ${master} 1`,
    '',
  ].join('\n');
}

/**
 * Whether a server on `port` answers at all within `timeoutMs` (false when stopped or
 * paused). With requirepass, PING answers -NOAUTH: still an answer. Over TLS when `tls`.
 */
function redisAnswers(port, timeoutMs = 200, tls = false) {
  return new Promise((resolve) => {
    const socket = tls
      ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : createConnection({ host: '127.0.0.1', port });
    const done = (ok) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('error', () => done(false));
    socket.on(tls ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.on('data', () => done(true));
  });
}

/** Every server process running, killed if this process exits first (one exit hook for all). */
const running = new Set();
process.once('exit', () => {
  for (const proc of running) proc.kill('SIGKILL');
});

/** One server process; `url` stays the same across {@link RedisServer#restart}. */
export class RedisServer {
  #proc;
  #output = '';

  constructor(port, busPort, dir, options) {
    this.port = port;
    this.busPort = busPort;
    this.dir = dir;
    this.options = options;
    this.engine = options.engine ?? 'redis';
  }

  /**
   * Starts one. `password`: requirepass (URL `redis://:password@…`); `users`: ACL rules, one
   * `--user` each (`'cache on >pw ~m2m:* +get'`); `tls`: TLS only, `{ ca, cert, key }` files
   * (see {@link makeTlsFiles}); `cluster`: cluster-enabled (join it with {@link RedisCluster});
   * `replicaOf`: a primary's port; `sentinel`: a Sentinel `{ master, primaryPort }`;
   * `engine`: `redis` (default) or `valkey`.
   */
  static async start(options = {}) {
    const dir = await mkdtemp(join(tmpdir(), 'redis-'));
    // A port free now can be taken before the server binds it: try a few.
    for (let attempt = 0; ; attempt += 1) {
      const server = new RedisServer(
        await freePort(),
        options.cluster ? await freePort() : undefined,
        dir,
        options,
      );
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

  /** `redis://127.0.0.1:<port>` (`rediss://` over TLS), with the password when there is one. */
  get url() {
    const auth = this.options.password ? `:${encodeURIComponent(this.options.password)}@` : '';
    return `${this.options.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${this.port}`;
  }

  get address() {
    return `127.0.0.1:${this.port}`;
  }

  get running() {
    return (
      this.#proc !== undefined && this.#proc.exitCode === null && this.#proc.signalCode === null
    );
  }

  /** What it wrote to stdout and stderr lately (its warnings). */
  get output() {
    return this.#output;
  }

  async #launch() {
    if (this.options.sentinel) {
      const conf = sentinelConf({
        port: this.port,
        dir: this.dir,
        sentinel: this.options.sentinel,
      });
      await writeFile(join(this.dir, 'sentinel.conf'), conf);
    }
    const args = serverArgs({
      port: this.port,
      busPort: this.busPort,
      dir: this.dir,
      options: this.options,
    });
    const proc = spawn(binary(this.engine, 'server'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#proc = proc;
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
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
      spawnError ?? new Error(`${this.engine} did not start on port ${this.port}:\n${this.#output}`)
    );
  }

  /** Whether the server answers at all within `timeoutMs` (false when stopped or paused). */
  answers(timeoutMs = 200) {
    return redisAnswers(this.port, timeoutMs, !!this.options.tls);
  }

  /**
   * Runs the engine's CLI against this server (`['CLUSTER', 'INFO']`), authenticated with
   * the server's password and over TLS when it has them; resolves its output.
   */
  async cli(args, { timeoutMs = 10_000 } = {}) {
    const { tls, password } = this.options;
    const base = ['-h', '127.0.0.1', '-p', String(this.port)];
    if (tls) base.push('--tls', '--cacert', tls.ca);
    const env = { ...process.env, ...(password && { REDISCLI_AUTH: password }) };
    const { stdout } = await run(binary(this.engine, 'cli'), [...base, ...args], {
      timeout: timeoutMs,
      env,
    });
    return stdout;
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

  /** SIGKILL: a crash, as a node lost with its machine looks. */
  kill() {
    return this.stop('SIGKILL');
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

/** `field:value` lines (`INFO`, `CLUSTER INFO`) as an object. */
function fields(text) {
  return Object.fromEntries(
    text
      .split(/\r?\n/)
      .map((line) => /^([\w-]+):(.*)$/.exec(line.trim()))
      .filter(Boolean)
      .map(([, key, value]) => [key, value]),
  );
}

/** Closes every server of `servers`, whatever state it is in. */
const closeAll = (servers) => Promise.all(servers.map((s) => s.close()));

/**
 * A Redis Cluster on loopback: `primaries` primaries with `replicas` replicas each, made by
 * `redis-cli --cluster create ... --cluster-replicas N --cluster-yes`, ready when every node
 * says `cluster_state:ok` and every replica has synced. Nodes detect a failure within
 * `nodeTimeoutMs` (default 1 s), so a killed primary's replica takes over in seconds.
 */
export class RedisCluster {
  constructor(nodes, options) {
    this.nodes = nodes;
    this.options = options;
  }

  static async start({ primaries = 3, replicas = 1, engine = 'redis', nodeTimeoutMs, users } = {}) {
    const count = primaries * (1 + replicas);
    const started = await Promise.allSettled(
      Array.from({ length: count }, () =>
        RedisServer.start({ engine, cluster: { nodeTimeoutMs }, users }),
      ),
    );
    const nodes = started.filter((s) => s.status === 'fulfilled').map((s) => s.value);
    try {
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      const cluster = new RedisCluster(nodes, { engine });
      await nodes[0].cli(
        [
          '--cluster',
          'create',
          ...nodes.map((n) => n.address),
          '--cluster-replicas',
          String(replicas),
          '--cluster-yes',
        ],
        { timeoutMs: 30_000 },
      );
      await cluster.#settled(nodes, 30_000);
      return cluster;
    } catch (error) {
      await closeAll(nodes);
      throw error;
    }
  }

  /** Seed URLs: the first `count` nodes (`redis://127.0.0.1:<port>`). */
  seeds(count = 3) {
    return this.nodes.slice(0, count).map((n) => n.url);
  }

  /** Every live node agrees the cluster is up, and every replica is in sync with its primary. */
  async #settled(nodes, timeoutMs) {
    const ok = await pollUntil(
      async () => {
        for (const node of nodes) {
          const info = fields(await node.cli(['CLUSTER', 'INFO']).catch(() => ''));
          if (info.cluster_state !== 'ok') return false;
          const replication = fields(await node.cli(['INFO', 'replication']).catch(() => ''));
          if (replication.role === 'slave' && replication.master_link_status !== 'up') return false;
        }
        return true;
      },
      { timeoutMs, pollMs: 100 },
    );
    if (!ok) throw new Error('the cluster did not settle');
  }

  /** The node serving `key`'s slot now (its primary), as a live node sees it. */
  async primaryOf(key) {
    const [live] = this.nodes.filter((n) => n.running);
    const slot = Number((await live.cli(['CLUSTER', 'KEYSLOT', key])).trim());
    // <id> <ip:port@bus> <flags> <primary> <ping> <pong> <epoch> <link> <slot ranges...>
    for (const line of (await live.cli(['CLUSTER', 'NODES'])).split('\n')) {
      const [, address, flags, , , , , , ...ranges] = line.trim().split(' ');
      if (!flags?.includes('master') || flags.includes('fail')) continue;
      const inSlot = ranges.some((range) => {
        const [from, to = from] = range.split('-').map(Number);
        return slot >= from && slot <= to;
      });
      if (inSlot) return this.nodes.find((n) => n.address === address.split('@')[0]);
    }
    return undefined;
  }

  /** Empties every primary (replicas follow). */
  async flushAll() {
    for (const node of this.nodes.filter((n) => n.running)) {
      const replication = fields(await node.cli(['INFO', 'replication']));
      if (replication.role === 'master') await node.cli(['FLUSHALL']);
    }
  }

  /** Stops every node: the whole cluster is down. */
  async stop() {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }

  /**
   * Starts every node again on its port, empty; each keeps its cluster identity (its
   * nodes.conf), so the cluster re-forms as it was. Resolves once it has settled.
   */
  async restart() {
    await Promise.all(this.nodes.map((n) => n.restart()));
    await this.healed();
  }

  /** Resolves once the live nodes agree the cluster is up again (after a failover). */
  healed(timeoutMs = 30_000) {
    return this.#settled(
      this.nodes.filter((n) => n.running),
      timeoutMs,
    );
  }

  async close() {
    await closeAll(this.nodes);
  }
}

/**
 * A Sentinel set on loopback: a primary, a replica of it, and three Sentinels watching
 * `master` (quorum 2, a primary down after `downAfterMs`, default 1 s); ready when every
 * Sentinel knows the replica and the other Sentinels.
 */
export class RedisSentinelSet {
  constructor(primary, replica, sentinels, master) {
    this.primary = primary;
    this.replica = replica;
    this.sentinels = sentinels;
    this.master = master;
  }

  static async start({ engine = 'redis', master = 'm2m-cache', downAfterMs } = {}) {
    const servers = [];
    try {
      const primary = await RedisServer.start({ engine });
      servers.push(primary);
      const replica = await RedisServer.start({ engine, replicaOf: primary.port });
      servers.push(replica);
      const sentinels = [];
      for (let i = 0; i < 3; i += 1) {
        const sentinel = { master, primaryPort: primary.port, downAfterMs };
        sentinels.push(await RedisServer.start({ engine, sentinel }));
      }
      servers.push(...sentinels);
      const set = new RedisSentinelSet(primary, replica, sentinels, master);
      const ok = await pollUntil(
        async () => {
          for (const sentinel of sentinels) {
            const info = await sentinel.cli(['SENTINEL', 'MASTER', master]).catch(() => '');
            const lines = info.split('\n').map((l) => l.trim());
            const value = (name) => lines[lines.indexOf(name) + 1];
            if (value('num-slaves') !== '1' || value('num-other-sentinels') !== '2') return false;
          }
          const replication = fields(await replica.cli(['INFO', 'replication']));
          return replication.master_link_status === 'up';
        },
        { timeoutMs: 30_000, pollMs: 100 },
      );
      if (!ok) throw new Error('the Sentinel set did not settle');
      return set;
    } catch (error) {
      await closeAll(servers);
      throw error;
    }
  }

  /** The Sentinels' addresses as URLs (`redis://127.0.0.1:<port>`). */
  get urls() {
    return this.sentinels.map((s) => s.url);
  }

  async close() {
    await closeAll([...this.sentinels, this.replica, this.primary]);
  }
}

/**
 * A throwaway CA and a server certificate it signed, made by `openssl` in a temp folder
 * (P-256 keys, valid one day): `ca`, `cert`, `key` paths for a TLS node, and `otherCa`, a CA
 * that signed nothing here (a client trusting it refuses the server). `names`: the DNS
 * names the certificate carries (none of them an address, so a client connecting to
 * 127.0.0.1 must name one as its TLS server name).
 */
export async function makeTlsFiles({ names = ['redis.test'] } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'redis-tls-'));
  const openssl = (...args) => run('openssl', args, { cwd: dir, timeout: 30_000 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    for (const name of ['ca', 'other-ca']) {
      await openssl(
        'req',
        '-x509',
        ...ec,
        ...['-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '1'],
        ...['-subj', `/CN=m2m test ${name}`],
        ...['-addext', 'basicConstraints=critical,CA:TRUE'],
        ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
      );
    }
    await openssl(
      'req',
      ...ec,
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=redis',
    );
    const san = names.map((n) => `DNS:${n}`).join(',');
    await writeFile(
      join(dir, 'server.ext'),
      `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`,
    );
    await openssl(
      'x509',
      '-req',
      ...['-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'],
      ...['-out', 'server.pem', '-days', '1', '-extfile', 'server.ext'],
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    otherCa: join(dir, 'other-ca.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server.key'),
    names,
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
