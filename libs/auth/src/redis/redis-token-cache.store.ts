import type { RedisClientType } from '@redis/client';
import {
  M2MClientConfigError,
  SharedCacheUnavailableError,
  type TokenCacheLease,
  type TokenCacheStore,
} from '../client/index.js';
import { numberOption } from '../shared/number-option.js';

/** Where the shared cache lives and how long anything there may take. */
export interface RedisTokenCacheOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. A standalone
   * Redis (7 and later) or Valkey; the password is never logged.
   */
  url: string;
  /** Prepended to every key, so several fleets can share one Redis. Default `m2m:`. */
  keyPrefix?: string;
  /** The most one command may take before the store counts as unavailable. Default 500 ms. */
  commandTimeoutMs?: number;
  /** The most connecting may take (then it retries in the background). Default 2,000 ms. */
  connectTimeoutMs?: number;
  /** While unavailable, how often one command tries it again. Default 1,000 ms. */
  probeIntervalMs?: number;
}

/** The Redis connection, and how replicas take turns through it (see `TokenCacheLease`). */
export interface RedisTokenCacheStoreOptions
  extends
    RedisTokenCacheOptions,
    Pick<TokenCacheLease, 'leaseMs' | 'waitMs' | 'pollMs' | 'refreshSpreadMs'> {}

// KEYS[1] entry. pcall: a key of another type (someone else's data) is a miss, not an error.
const GET = `
local v = redis.pcall('GET', KEYS[1])
if type(v) == 'string' then return v end
return false`;

// KEYS[1] entry; ARGV[1] value, ARGV[2] ttl ms. SET overwrites a key of another type.
const SET = `return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])`;

// KEYS[1] lease; ARGV[1] owner, ARGV[2] lease ms. 0: owner holds it now (taken, or extended
// as its holder); else the ms another holder has left.
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 0
end
return math.max(redis.call('PTTL', KEYS[1]), 1)`;

// KEYS[1] lease; ARGV[1] owner.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

function positive(name: string, value: number | undefined, fallback: number): number {
  return numberOption(name, value, fallback, { min: 0, exclusiveMin: true }, (option, why) => {
    throw new M2MClientConfigError(option, why);
  });
}

/** What failed, as an error code or class name: never a message that could carry a URL. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[A-Z_]{2,32}$/.test(code)) return code;
  // Redis error replies start with their code: WRONGPASS, NOAUTH, READONLY, OOM, ...
  const replyCode = /^([A-Z]{2,32})\b/.exec(error.message)?.[1];
  return replyCode ?? error.constructor.name;
}

/** One connection, from loading node-redis to `close`. */
interface Connection {
  /** Until node-redis is loaded and the client made: local work, not a peer's answer. */
  loading: Promise<void>;
  client?: RedisClientType;
  /** Why node-redis could not be loaded (an optional peer that is missing, say). */
  loadError?: unknown;
  /** Until the first connection is up: commands wait for it (within their deadline). */
  firstConnect?: Promise<unknown>;
  closed: boolean;
}

/**
 * A {@link TokenCacheStore} shared by the replicas of a fleet through Redis: one token
 * request per (token URL, client, scope set) per token lifetime across all of them.
 *
 * - A hit costs no Redis round trip: each process keeps its copy until shortly before
 *   expiry and reads Redis only when it has no valid token.
 * - With no valid token anywhere, one replica fetches under a lease (`SET NX PX`, extended
 *   by its owner while its request runs, released by its owner only) and the others wait
 *   for it and read its token (bounded: past `waitMs` they fetch themselves); the refresh
 *   ahead of expiry is leased the same way, at jittered points.
 * - Entries are sealed by the client with keys derived from each client's secret: readers of
 *   Redis without the secret, and replicas with a wrong or rotated one, cannot use them. The
 *   keys of one entry share a hash tag (`m2m:{name}:token`, `m2m:{name}:lease`).
 * - Every command is bounded by `commandTimeoutMs`. Unavailable, slow or wrong, Redis never
 *   fails a call: commands fail fast with {@link SharedCacheUnavailableError} (tried again
 *   once per `probeIntervalMs`), and each process falls back to its own cache and single
 *   flight (one request per replica at most), logs one warning per outage, and shares again
 *   once Redis answers.
 *
 * node-redis is loaded, and the connection opened, by the first command; the last client
 * using the store closes it.
 *
 * @example
 * ```ts
 * const cache = new RedisTokenCacheStore({ url: 'redis://redis:6379' });
 * M2MClientModule.register({ name: 'weather-read', ..., cache });
 * M2MClientModule.register({ name: 'weather-write', ..., cache });
 * ```
 */
export class RedisTokenCacheStore implements TokenCacheStore {
  readonly name = 'Redis';
  readonly lease: TokenCacheLease;
  private readonly url: string;
  private readonly prefix: string;
  private readonly commandTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly probeIntervalMs: number;
  private connection: Connection | undefined;
  /** While Redis is failing: why, and when one command may try it again. */
  private down: { reason: string; nextProbeAt: number } | undefined;

  constructor(options: RedisTokenCacheStoreOptions) {
    // Checked now (start-up), not when the first command connects.
    let url: URL | undefined;
    try {
      url = new URL(options.url);
    } catch {
      // reported below
    }
    if (url?.protocol !== 'redis:' && url?.protocol !== 'rediss:') {
      throw new M2MClientConfigError('url', 'must be an absolute redis:// or rediss:// URL');
    }
    this.url = options.url;
    this.prefix = options.keyPrefix ?? 'm2m:';
    this.commandTimeoutMs = positive('commandTimeoutMs', options.commandTimeoutMs, 500);
    this.probeIntervalMs = positive('probeIntervalMs', options.probeIntervalMs, 1_000);
    this.connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs, 2_000);
    const { leaseMs, waitMs, pollMs, refreshSpreadMs } = options;
    this.lease = {
      acquire: async (key, owner, ms) =>
        Number(await this.run(ACQUIRE, [this.leaseKey(key)], [owner, String(Math.ceil(ms))])),
      release: async (key, owner) => {
        await this.run(RELEASE, [this.leaseKey(key)], [owner]);
      },
      leaseMs,
      waitMs,
      pollMs,
      refreshSpreadMs,
    };
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.run(GET, [this.entryKey(key)], []);
    return typeof value === 'string' ? value : undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.run(SET, [this.entryKey(key)], [value, String(Math.max(1, Math.floor(ttlMs)))]);
  }

  /** Closes the connection; a later command opens a new one. */
  close(): void {
    const connection = this.connection;
    if (!connection) return;
    this.connection = undefined;
    connection.closed = true;
    connection.client?.destroy();
  }

  // One hash tag: both keys of an entry in one slot, as a Redis Cluster needs.
  private entryKey(key: string) {
    return `${this.prefix}{${key}}:token`;
  }

  private leaseKey(key: string) {
    return `${this.prefix}{${key}}:lease`;
  }

  /** Runs one script within the deadline; while Redis is down, fails fast but for one probe. */
  private async run(script: string, keys: string[], args: string[]): Promise<unknown> {
    const connection = (this.connection ??= this.connect());
    await connection.loading;
    if (connection.closed) throw new SharedCacheUnavailableError('CLOSED');
    const now = Date.now();
    if (this.down) {
      if (now < this.down.nextProbeAt) throw new SharedCacheUnavailableError(this.down.reason);
      this.down.nextProbeAt = now + this.probeIntervalMs;
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('command timed out'), { code: 'TIMEOUT' })),
        this.commandTimeoutMs,
      );
    });
    try {
      if (connection.firstConnect) await Promise.race([connection.firstConnect, deadline]);
      if (!connection.client) {
        throw new Error('@redis/client could not be loaded', { cause: connection.loadError });
      }
      const reply = await Promise.race([
        connection.client.eval(script, { keys, arguments: args }),
        deadline,
      ]);
      this.down = undefined;
      return reply;
    } catch (error) {
      const reason = reasonOf(error);
      this.down = { reason, nextProbeAt: Date.now() + this.probeIntervalMs };
      throw new SharedCacheUnavailableError(reason, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Loads node-redis (a process without a shared cache never loads its ~480 modules), then
   * starts connecting; commands wait for the loading before their deadline starts.
   */
  private connect(): Connection {
    const connection: Connection = { loading: Promise.resolve(), closed: false };
    connection.loading = import('@redis/client').then(
      ({ createClient }) => {
        if (connection.closed) return;
        const client: RedisClientType = createClient({
          url: this.url,
          // Down means down: a command fails at once instead of queueing until Redis is back.
          disableOfflineQueue: true,
          commandsQueueMaxLength: 1_000,
          // node-redis times out commands still waiting to be written; one written to a hung
          // server waits for its reply, so `run` also bounds the wait for it.
          commandOptions: { timeout: this.commandTimeoutMs },
          socket: {
            connectTimeout: this.connectTimeoutMs,
            // Never give up; back off to 2 s, jittered, so replicas do not reconnect in step.
            reconnectStrategy: (retries: number) =>
              Math.min(2_000, 50 * 2 ** Math.min(retries, 6)) * (0.5 + Math.random() / 2),
          },
        });
        // Connection errors surface as failed commands (one warning per outage, by the
        // client); the event itself must have a listener or it would crash the process.
        client.on('error', () => undefined);
        // Reconnected: the next command may try at once instead of waiting for the probe.
        client.on('ready', () => {
          if (this.down) this.down.nextProbeAt = 0;
        });
        connection.client = client;
        connection.firstConnect = client.connect().then(
          () => (connection.firstConnect = undefined),
          () => undefined,
        );
      },
      (error: unknown) => {
        connection.loadError = error;
      },
    );
    return connection;
  }
}
