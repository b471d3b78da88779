import { Logger } from '@nestjs/common';
import type { RedisClientType } from '@redis/client';
import { M2MClientConfigError } from '../client/client.errors.js';
import type { CachedToken } from '../client/token-cache.store.js';
import { LibraryError } from '../shared/errors.js';
import { type CacheIdentity, EntryCipher } from './entry-cipher.js';
import type { LeaseBackend, LeaseRead } from './lease.js';
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

/** Collaborators a test may replace. */
export interface RedisTokenCacheDeps {
  logger?: Pick<Logger, 'warn' | 'log'>;
}

/** How the shared store is doing, for readiness detail and metrics. */
export interface SharedCacheStatus {
  available: boolean;
  /** Epoch ms of the last change (the start, an outage, the recovery). */
  since: number;
  /** While unavailable: what failed (an error class or code, never a URL or password). */
  reason?: string;
}

/**
 * The store answered nothing usable in time, or is known to be down: the caller uses its
 * in-process cache. `code` is always `shared_cache_unavailable`.
 */
export class SharedCacheUnavailableError extends LibraryError {
  readonly code = 'shared_cache_unavailable';
}

// KEYS[1] entry, KEYS[2] lease; ARGV[1] known value ('' = none), ARGV[2] owner, ARGV[3] lease ms.
// pcall: a key of another type (someone else's data) is a miss, not an error; SET overwrites it.
const READ_OR_LEASE = `
local v = redis.pcall('GET', KEYS[1])
if type(v) == 'string' and v ~= ARGV[1] then return {'entry', v} end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return {'leased'} end
return {'held', redis.call('PTTL', KEYS[2])}`;

// KEYS[1] entry.
const READ = `
local v = redis.pcall('GET', KEYS[1])
if type(v) == 'string' then return v end
return false`;

// KEYS[1] entry, KEYS[2] lease; ARGV[1] value, ARGV[2] ttl ms, ARGV[3] owner.
const STORE_AND_RELEASE = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return 1`;

// KEYS[1] lease; ARGV[1] owner.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

// KEYS[1] lease; ARGV[1] owner, ARGV[2] lease ms.
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

function positive(name: string, value: number | undefined, fallback: number): number {
  return numberOption(name, value, fallback, { min: 0, exclusiveMin: true }, (option, why) => {
    throw new M2MClientConfigError(option, why);
  });
}

/** What failed, as a class name or error code: never a message that could carry a URL. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[A-Z_]{2,32}$/.test(code)) return code;
  // Redis error replies start with their code: WRONGPASS, NOAUTH, READONLY, OOM, ...
  const replyCode = /^([A-Z]{2,32})\b/.exec(error.message)?.[1];
  return replyCode ?? error.constructor.name;
}

/**
 * A token cache shared by the replicas of a fleet, in Redis: entries sealed per client
 * ({@link EntryCipher}), a lease per entry for cross-replica single flight, every command
 * bounded in time. Unavailable, slow or wrong, it fails fast with
 * {@link SharedCacheUnavailableError} and logs one warning per outage; while down it is
 * tried again once per `probeIntervalMs`, and the first command that succeeds ends the
 * outage. One instance per process serves every client of it.
 *
 * @example
 * ```ts
 * const cache = new RedisTokenCache({ url: process.env.TOKEN_CACHE_REDIS_URL! });
 * const entry = cache.entry({ tokenUrl, clientId, scopes, clientSecret });
 * ```
 */
export class RedisTokenCache {
  /** Set once node-redis is loaded (see load). */
  private client: RedisClientType | undefined;
  private readonly prefix: string;
  private readonly commandTimeoutMs: number;
  private readonly probeIntervalMs: number;
  private readonly logger: Pick<Logger, 'warn' | 'log'>;
  private state: SharedCacheStatus = { available: true, since: Date.now() };
  private nextProbeAt = 0;
  private closed = false;
  /** Until node-redis is loaded and the client made (see load). */
  private loading: Promise<void> | undefined;
  /** Why node-redis could not be loaded (an optional peer that is missing, say). */
  private loadError: unknown;
  /** Until the first connection is up: commands wait for it (within their deadline). */
  private firstConnect: Promise<unknown> | undefined;

  /** Throws an `M2MClientConfigError` naming the first option it cannot work with (never a value). */
  static check(options: RedisTokenCacheOptions) {
    let url: URL | undefined;
    try {
      url = new URL(options.url);
    } catch {
      // reported below
    }
    if (url?.protocol !== 'redis:' && url?.protocol !== 'rediss:') {
      throw new M2MClientConfigError('url', 'must be an absolute redis:// or rediss:// URL');
    }
    return {
      prefix: options.keyPrefix ?? 'm2m:',
      commandTimeoutMs: positive('commandTimeoutMs', options.commandTimeoutMs, 500),
      probeIntervalMs: positive('probeIntervalMs', options.probeIntervalMs, 1_000),
      connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 2_000),
    };
  }

  constructor(options: RedisTokenCacheOptions, deps: RedisTokenCacheDeps = {}) {
    const checked = RedisTokenCache.check(options);
    this.prefix = checked.prefix;
    this.commandTimeoutMs = checked.commandTimeoutMs;
    this.probeIntervalMs = checked.probeIntervalMs;
    const connectTimeout = checked.connectTimeoutMs;
    this.logger = deps.logger ?? new Logger(RedisTokenCache.name);
    this.loading = this.load(options.url, connectTimeout).then(
      () => (this.loading = undefined),
      (error: unknown) => {
        this.loading = undefined;
        this.loadError = error;
      },
    );
  }

  /**
   * Loads node-redis on first use (a process without a shared cache never loads its ~480
   * modules), then starts connecting. Loading is local work, not a peer's answer: commands
   * wait for it before their deadline starts.
   */
  private async load(url: string, connectTimeout: number): Promise<void> {
    const { createClient } = await import('@redis/client');
    if (this.closed) return;
    const client: RedisClientType = createClient({
      url,
      // Down means down: a command fails at once instead of queueing until Redis is back.
      disableOfflineQueue: true,
      commandsQueueMaxLength: 1_000,
      // node-redis times out commands still waiting to be written; one written to a hung
      // server waits for its reply, so `run` also bounds the wait for it.
      commandOptions: { timeout: this.commandTimeoutMs },
      socket: {
        connectTimeout,
        // Never give up; back off to 2 s, jittered, so replicas do not reconnect in step.
        reconnectStrategy: (retries: number) =>
          Math.min(2_000, 50 * 2 ** Math.min(retries, 6)) * (0.5 + Math.random() / 2),
      },
    });
    // Connection errors surface as failed commands (one warning per outage); the event
    // itself must have a listener or it would crash the process.
    client.on('error', () => undefined);
    // Reconnected: the next command may try at once instead of waiting for the probe.
    client.on('ready', () => (this.nextProbeAt = 0));
    this.client = client;
    this.firstConnect = client.connect().then(
      () => (this.firstConnect = undefined),
      () => undefined,
    );
  }

  /** The entry of one client (its name and key derived from its secret). */
  entry(identity: CacheIdentity): RedisTokenEntry {
    return new RedisTokenEntry(this, new EntryCipher(identity), this.prefix);
  }

  status(): SharedCacheStatus {
    return { ...this.state };
  }

  /** Closes the connection; commands fail from now on. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client?.destroy();
  }

  /** @internal Runs one script within the deadline, tracking availability. */
  async eval(script: string, keys: string[], args: string[]): Promise<unknown> {
    if (this.loading) await this.loading;
    if (this.closed) throw new SharedCacheUnavailableError('the shared token cache is closed');
    const now = Date.now();
    if (!this.state.available && now < this.nextProbeAt) {
      throw new SharedCacheUnavailableError(`the shared token cache is unavailable`);
    }
    if (!this.state.available) this.nextProbeAt = now + this.probeIntervalMs;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('command timed out'), { code: 'TIMEOUT' })),
        this.commandTimeoutMs,
      );
    });
    try {
      if (this.firstConnect) await Promise.race([this.firstConnect, deadline]);
      if (!this.client) {
        throw new Error('@redis/client could not be loaded', { cause: this.loadError });
      }
      const reply = await Promise.race([
        this.client.eval(script, { keys, arguments: args }),
        deadline,
      ]);
      this.up();
      return reply;
    } catch (error) {
      this.down(error);
      throw new SharedCacheUnavailableError('the shared token cache failed', { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  private up() {
    if (this.state.available) return;
    this.state = { available: true, since: Date.now() };
    this.logger.log('Shared token cache (Redis) is available again: replicas share tokens');
  }

  private down(error: unknown) {
    this.nextProbeAt = Date.now() + this.probeIntervalMs;
    if (!this.state.available) return;
    const reason = reasonOf(error);
    this.state = { available: false, since: Date.now(), reason };
    this.logger.warn(
      `Shared token cache (Redis) unavailable (${reason}); each replica uses its own ` +
        'in-process cache until it returns (logged once per outage)',
    );
  }
}

/** One client's entry and lease in a {@link RedisTokenCache}. */
export class RedisTokenEntry implements LeaseBackend {
  private readonly entryKey: string;
  private readonly leaseKey: string;

  constructor(
    private readonly cache: RedisTokenCache,
    private readonly cipher: EntryCipher,
    prefix: string,
  ) {
    // One hash tag: both keys in the same slot, as a script touching both needs in a cluster.
    this.entryKey = `${prefix}{${cipher.id}}:token`;
    this.leaseKey = `${prefix}{${cipher.id}}:lease`;
  }

  /** The stored value and its token (undefined: none, corrupt, another secret's). No lease. */
  async read(): Promise<{ raw: string; token: CachedToken | undefined }> {
    const raw = await this.cache.eval(READ, [this.entryKey], []);
    return typeof raw === 'string'
      ? { raw, token: this.cipher.open(raw) }
      : { raw: '', token: undefined };
  }

  async readOrLease(known: string | undefined, owner: string, leaseMs: number): Promise<LeaseRead> {
    const reply = await this.cache.eval(
      READ_OR_LEASE,
      [this.entryKey, this.leaseKey],
      [known ?? '', owner, String(Math.ceil(leaseMs))],
    );
    const [kind, value] = Array.isArray(reply) ? (reply as unknown[]) : [];
    if (kind === 'entry' && typeof value === 'string') {
      return { kind, raw: value, token: this.cipher.open(value) };
    }
    if (kind === 'leased') return { kind };
    if (kind === 'held') return { kind, remainingMs: Number(value) };
    throw new SharedCacheUnavailableError('the shared token cache answered something else');
  }

  async storeAndRelease(token: CachedToken, ttlMs: number, owner: string): Promise<string> {
    const raw = this.cipher.seal(token);
    await this.cache.eval(
      STORE_AND_RELEASE,
      [this.entryKey, this.leaseKey],
      [raw, String(Math.max(1, Math.floor(ttlMs))), owner],
    );
    return raw;
  }

  async release(owner: string): Promise<void> {
    await this.cache.eval(RELEASE, [this.leaseKey], [owner]);
  }

  async renew(owner: string, leaseMs: number): Promise<boolean> {
    const reply = await this.cache.eval(
      RENEW,
      [this.leaseKey],
      [owner, String(Math.ceil(leaseMs))],
    );
    return reply === 1;
  }
}
