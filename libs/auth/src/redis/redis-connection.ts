import type { RedisClientType } from '@redis/client';
import { numberOption } from '../shared/number-option.js';
import type { RedisConnectionOptions } from './redis-connection.options.js';
import { RedisConfigError, RedisUnavailableError } from './redis.errors.js';

/** How a command is routed: by the slot of `key`, in a cluster. */
export interface RedisRoute {
  /** A key the command touches: every key of one command must share its hash slot. */
  key?: string;
  /** A read. */
  readonly?: boolean;
}

/** A channel subscription made through a {@link RedisConnection}. */
export interface RedisSubscription {
  /** Stops the subscription (and its retries). */
  close(): Promise<void>;
}

/** One connection, from loading node-redis to `close`. */
interface Session {
  /** Until node-redis is loaded and the client made: local work, not a peer's answer. */
  loading: Promise<void>;
  client?: RedisClientType;
  /** Why node-redis could not be loaded (an optional peer that is missing, say). */
  loadError?: unknown;
  /** Until the first connection is up: commands wait for it (within their deadline). */
  firstConnect?: Promise<unknown>;
  /** The dedicated connection subscriptions take (pub/sub needs its own). */
  subscriber?: Promise<RedisClientType>;
  closed: boolean;
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

/** `promise`, or a `TIMEOUT` error after `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })),
      ms,
    );
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  return numberOption(name, value, fallback, { min: 0, exclusiveMin: true }, (option, why) => {
    throw new RedisConfigError(option, `Redis option "${option}" ${why}`);
  });
}

/**
 * The one way the library talks to Redis: the token cache (`RedisTokenCacheStore`) and the
 * revocation list are built on it.
 *
 * - Bounded: each command settles within `commandTimeoutMs`; nothing queues while Redis is
 *   down (commands fail at once), at most 1,000 commands wait to be written.
 * - Fails fast: after a failure every command throws {@link RedisUnavailableError} at once
 *   but one per `probeIntervalMs`, which tries Redis again; a reconnection lets the next one
 *   try at once. `reason` names the failure (`ECONNREFUSED`, `TIMEOUT`, `WRONGPASS`, ...).
 * - Lazy: node-redis (an optional peer) is loaded, and the connection opened, by the first
 *   command or subscription; `close` ends it, and a later command opens a new one.
 * - Secret-free: no error or reason of this class carries the URL or its password.
 *
 * @example
 * ```ts
 * const redis = new RedisConnection({ url: 'redis://redis:6379' });
 * await redis.send(['SET', 'fleet:{revocations}:v', '1'], { key: 'fleet:{revocations}:v' });
 * const sub = redis.subscribe('fleet:{revocations}:changed', (message) => reload(message));
 * ```
 */
export class RedisConnection {
  private readonly url: string;
  private readonly commandTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly probeIntervalMs: number;
  private session: Session | undefined;
  /** While Redis is failing: why, and when one command may try it again. */
  private down: { reason: string; nextProbeAt: number } | undefined;

  constructor(options: RedisConnectionOptions) {
    // Checked now (start-up), not when the first command connects.
    const protocol = URL.parse(options.url)?.protocol;
    if (protocol !== 'redis:' && protocol !== 'rediss:') {
      throw new RedisConfigError('url', 'Redis option "url" must be a redis:// or rediss:// URL');
    }
    this.url = options.url;
    this.commandTimeoutMs = positive('commandTimeoutMs', options.commandTimeoutMs, 500);
    this.connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs, 2_000);
    this.probeIntervalMs = positive('probeIntervalMs', options.probeIntervalMs, 1_000);
  }

  /**
   * Sends one command (`['SET', key, value]`, `['EVAL', script, '1', key, ...]`) and resolves
   * its raw reply, or throws {@link RedisUnavailableError} within `commandTimeoutMs`.
   */
  async send(args: readonly string[], _route: RedisRoute = {}): Promise<unknown> {
    const session = (this.session ??= this.open());
    await session.loading;
    if (session.closed) throw new RedisUnavailableError('CLOSED');
    const now = Date.now();
    if (this.down) {
      if (now < this.down.nextProbeAt) throw new RedisUnavailableError(this.down.reason);
      this.down.nextProbeAt = now + this.probeIntervalMs;
    }
    try {
      const reply = await within(this.dispatch(session, args), this.commandTimeoutMs);
      this.down = undefined;
      return reply;
    } catch (error) {
      const reason = reasonOf(error);
      this.down = { reason, nextProbeAt: Date.now() + this.probeIntervalMs };
      throw new RedisUnavailableError(reason, { cause: error });
    }
  }

  /**
   * Subscribes `onMessage` to `channel` (PUBLISH through {@link send}) on a dedicated
   * connection. Until the first SUBSCRIBE succeeds it is tried again every `probeIntervalMs`;
   * after that node-redis subscribes again on every reconnection. Messages published while a
   * subscriber is disconnected are lost: reload what they stand for on a schedule.
   */
  subscribe(channel: string, onMessage: (message: string) => void): RedisSubscription {
    const listener = (message: string) => onMessage(message);
    const state: { closed: boolean; timer?: NodeJS.Timeout; on?: RedisClientType } = {
      closed: false,
    };
    const attempt = async () => {
      if (state.closed) return;
      try {
        const subscriber = await this.subscriber();
        await within(subscriber.subscribe(channel, listener), this.commandTimeoutMs);
        state.on = subscriber;
        if (state.closed) await subscriber.unsubscribe(channel, listener).catch(() => undefined);
      } catch {
        if (!state.closed) state.timer = setTimeout(() => void attempt(), this.probeIntervalMs);
      }
    };
    void attempt();
    return {
      close: async () => {
        state.closed = true;
        clearTimeout(state.timer);
        await state.on?.unsubscribe(channel, listener).catch(() => undefined);
      },
    };
  }

  /** Closes every connection (subscriptions end); a later command opens new ones. */
  close(): void {
    const session = this.session;
    if (!session) return;
    this.session = undefined;
    session.closed = true;
    session.client?.destroy();
    void session.subscriber?.then(
      (client) => client.destroy(),
      () => undefined,
    );
  }

  private async dispatch(session: Session, args: readonly string[]): Promise<unknown> {
    if (session.firstConnect) await session.firstConnect;
    if (!session.client) {
      throw new Error('@redis/client could not be loaded', { cause: session.loadError });
    }
    return session.client.sendCommand([...args]);
  }

  private async subscriber(): Promise<RedisClientType> {
    const session = (this.session ??= this.open());
    await session.loading;
    const client = session.client;
    if (session.closed || !client) throw new RedisUnavailableError('CLOSED');
    session.subscriber ??= (async () => {
      const duplicate = client.duplicate();
      duplicate.on('error', () => undefined);
      await duplicate.connect();
      return duplicate;
    })();
    // A subscriber that failed is made again by the next attempt.
    session.subscriber.catch(() => (session.subscriber = undefined));
    return within(session.subscriber, this.connectTimeoutMs);
  }

  /**
   * Loads node-redis (a process that never uses Redis never loads its ~480 modules), then
   * starts connecting; commands wait for the loading before their deadline starts.
   */
  private open(): Session {
    const session: Session = { loading: Promise.resolve(), closed: false };
    session.loading = import('@redis/client').then(
      ({ createClient }) => {
        if (session.closed) return;
        const client: RedisClientType = createClient({
          url: this.url,
          // Down means down: a command fails at once instead of queueing until Redis is back.
          disableOfflineQueue: true,
          commandsQueueMaxLength: 1_000,
          // node-redis times out commands still waiting to be written; one written to a hung
          // server waits for its reply, so `send` also bounds the wait for it.
          commandOptions: { timeout: this.commandTimeoutMs },
          socket: {
            connectTimeout: this.connectTimeoutMs,
            // Never give up; back off to 2 s, jittered, so replicas do not reconnect in step.
            reconnectStrategy: (retries: number) =>
              Math.min(2_000, 50 * 2 ** Math.min(retries, 6)) * (0.5 + Math.random() / 2),
          },
        });
        // Connection errors surface as failed commands (one warning per outage, by their
        // users); the event itself must have a listener or it would crash the process.
        client.on('error', () => undefined);
        // Reconnected: the next command may try at once instead of waiting for the probe.
        client.on('ready', () => {
          if (this.down) this.down.nextProbeAt = 0;
        });
        session.client = client;
        session.firstConnect = client.connect().then(
          () => (session.firstConnect = undefined),
          () => undefined,
        );
      },
      (error: unknown) => {
        session.loadError = error;
      },
    );
    return session;
  }
}
