import type {
  RedisClientOptions,
  RedisClientType,
  RedisClusterType,
  RedisSentinelType,
} from '@redis/client';
import { numberOption } from '../shared/number-option.js';
import {
  type RedisConnectionOptions,
  type RedisMode,
  type RedisTarget,
  resolveRedisTarget,
} from './redis-connection.options.js';
import { RedisConfigError, RedisUnavailableError } from './redis.errors.js';

type Standalone = RedisClientType;
type Cluster = RedisClusterType;
type Sentinel = RedisSentinelType;
type Handle =
  | { mode: 'standalone'; client: Standalone }
  | { mode: 'cluster'; client: Cluster }
  | { mode: 'sentinel'; client: Sentinel };

/** What a subscriber can do, whichever client is underneath. */
interface Subscriber {
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  unsubscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
}

/** How a command is routed: in a cluster, by the slot of `key` (any node without one). */
export interface RedisRoute {
  /** A key the command touches: every key of one command must share its hash slot. */
  key?: string;
  /** A read: Sentinel and Cluster may still send it to the primary (this library reads there). */
  readonly?: boolean;
}

/** A channel subscription made through a {@link RedisConnection}. */
export interface RedisSubscription {
  /** Stops the subscription (and its retries). */
  close(): Promise<void>;
}

/** A subscription, attached to a session's subscriber (again after a session is replaced). */
interface SubscriptionState {
  channel: string;
  listener: (message: string) => void;
  closed: boolean;
  timer?: NodeJS.Timeout;
  session?: Session;
  on?: Subscriber;
}

/** One connection, from loading node-redis to `close`. */
interface Session {
  /** Until node-redis is loaded and the client made: local work, not a peer's answer. */
  loading: Promise<void>;
  handle?: Handle;
  /** Why node-redis could not be loaded (an optional peer that is missing, say). */
  loadError?: unknown;
  /**
   * Until the first connection is up: commands wait for it, at most `connectTimeoutMs`, and
   * not at all once an attempt has failed (it rejects with that failure then).
   */
  connecting?: Promise<void>;
  /**
   * The first connection failed for good (no cluster or Sentinel node answered, refused):
   * the next probe starts a new session. A single node's client retries by itself.
   */
  connectError?: Error;
  /**
   * A probe failed on it (cluster, Sentinel): the next probe starts a new session, from a
   * fresh discovery, rather than trust node-redis to find its way from a dead node's map.
   */
  stale?: boolean;
  /** The latest connection error a client reported: a better reason than "timed out". */
  lastError?: unknown;
  /** Single node: the dedicated connection subscriptions take (pub/sub needs its own). */
  subscriber?: Promise<Standalone>;
  closed: boolean;
}

/** Errors that say only "not connected": the connection's own last error says why. */
const GENERIC = new Set([
  'TIMEOUT',
  'ClientOfflineError',
  'ClientClosedError',
  'RootNodesUnavailableError',
  'SocketClosedUnexpectedlyError',
  'ConnectionTimeoutError',
  'ReconnectStrategyError',
]);

/** What failed, as an error code or class name: never a message that could carry a URL. */
function identify(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,39}$/.test(code)) return code;
  // Redis error replies start with their code: WRONGPASS, NOAUTH, NOPERM, CLUSTERDOWN, ...
  const replyCode = /^([A-Z]{2,32})\b/.exec(error.message)?.[1];
  return replyCode ?? error.constructor.name;
}

function reasonOf(error: unknown, lastError: unknown): string {
  const reason = identify(error);
  if (!GENERIC.has(reason) || lastError === undefined) return reason;
  const last = identify(lastError);
  return GENERIC.has(last) ? reason : last;
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

/** Never give up; back off to 2 s, jittered, so replicas do not reconnect in step. */
const reconnectStrategy = (retries: number) =>
  Math.round(Math.min(2_000, 50 * 2 ** Math.min(retries, 6)) * (0.5 + Math.random() / 2));

/**
 * The one way the library talks to Redis: a single node, Redis Cluster (ElastiCache
 * Serverless too) or Sentinel, over TLS or not, with an ACL user or not, from
 * {@link RedisConnectionOptions} (or `redisConnectionOptionsFromEnv` for a variable prefix).
 * The token cache (`RedisTokenCacheStore`) is built on it; so can any other fleet-wide state.
 *
 * - Bounded: each command settles within `commandTimeoutMs` once connected; the first
 *   connection is waited for at most `connectTimeoutMs` (and not at all once an attempt has
 *   failed); nothing queues while Redis is down (commands fail at once), at most 1,000
 *   commands wait per node.
 * - Fails fast: after a failure every command throws {@link RedisUnavailableError} at once
 *   but one per `probeIntervalMs`, which tries Redis again; a reconnection lets the next one
 *   try at once. `reason` names the failure (`WRONGPASS`, `SELF_SIGNED_CERT_IN_CHAIN`, ...).
 * - Lazy: node-redis (an optional peer) is loaded, and the connection opened, by the first
 *   command; `close` ends it, and a later command opens a new one.
 * - Secret-free: URLs are parsed here and never handed to node-redis; no error, reason or
 *   event of this class carries the password.
 *
 * In a cluster, every key of one command must share its hash slot: give related keys one
 * hash tag (`prefix:{name}:a`, `prefix:{name}:b`) and pass one as `route.key`. Failover is
 * followed: a cluster re-reads its slots on a redirect and while a node is unreachable (each
 * second); Sentinel announces the new primary.
 *
 * @example
 * ```ts
 * const redis = new RedisConnection({ url: 'rediss://app:secret@cache.example.com:6379', mode: 'cluster' });
 * await redis.send(['SET', 'fleet:{revocations}:v', '1', 'PX', '60000'], { key: 'fleet:{revocations}:v' });
 * const sub = redis.subscribe('fleet:revocations', (message) => reload(message));
 * ```
 */
export class RedisConnection {
  readonly mode: RedisMode;
  private readonly target: RedisTarget;
  private readonly commandTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly probeIntervalMs: number;
  private session: Session | undefined;
  private readonly subscriptions = new Set<SubscriptionState>();
  /** While Redis is failing: why, and when one command may try it again. */
  private down: { reason: string; nextProbeAt: number } | undefined;

  constructor(options: RedisConnectionOptions) {
    // Checked now (start-up), not when the first command connects.
    this.target = resolveRedisTarget(
      options,
      (option) => `Redis option "${option}"`,
      (option, message) => {
        throw new RedisConfigError(option, message);
      },
    );
    this.mode = this.target.mode;
    this.commandTimeoutMs = positive('commandTimeoutMs', options.commandTimeoutMs, 500);
    this.connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs, 2_000);
    this.probeIntervalMs = positive('probeIntervalMs', options.probeIntervalMs, 1_000);
  }

  /**
   * Sends one command (`['SET', key, value]`, `['EVAL', script, '1', key, ...]`) and resolves
   * its raw reply, or throws {@link RedisUnavailableError} within `commandTimeoutMs`.
   */
  async send(args: readonly string[], route: RedisRoute = {}): Promise<unknown> {
    let session = (this.session ??= this.open());
    await session.loading;
    if (session.closed) throw new RedisUnavailableError('CLOSED');
    const now = Date.now();
    const probing = this.down !== undefined;
    if (this.down) {
      if (now < this.down.nextProbeAt) throw new RedisUnavailableError(this.down.reason);
      this.down.nextProbeAt = now + this.probeIntervalMs;
    }
    session = await this.renewed(session);
    try {
      const handle = await this.connected(session);
      const reply = await within(this.dispatch(handle, args, route), this.commandTimeoutMs);
      this.down = undefined;
      return reply;
    } catch (error) {
      const reason = reasonOf(error, session.lastError);
      this.down = { reason, nextProbeAt: Date.now() + this.probeIntervalMs };
      // A cluster client can stay bound to a dead primary's slots (its first connection, or
      // a re-read of the slots, waiting on that node for good); Sentinel's to a demoted
      // primary. Still connecting, or failing twice in a row: the next probe starts afresh.
      const stuck = probing || session.connecting !== undefined;
      if (stuck && this.mode !== 'standalone') session.stale = true;
      throw new RedisUnavailableError(reason, { cause: error });
    }
  }

  /**
   * Subscribes `onMessage` to `channel` (PUBLISH through {@link send}), on a connection of
   * its own: a dedicated one for a single node, the one node-redis keeps for pub/sub in a
   * cluster (classic PUBLISH reaches every node) or under Sentinel (moved to the new primary
   * on failover). Until the first SUBSCRIBE succeeds it is tried again every
   * `probeIntervalMs`; after that node-redis subscribes again on every reconnection.
   * Messages published while a subscriber is disconnected are lost: reload what they stand
   * for on reconnection or on a schedule.
   */
  subscribe(channel: string, onMessage: (message: string) => void): RedisSubscription {
    const sub: SubscriptionState = {
      channel,
      listener: (message: string) => onMessage(message),
      closed: false,
    };
    this.subscriptions.add(sub);
    void this.attach(sub);
    return {
      close: async () => {
        sub.closed = true;
        this.subscriptions.delete(sub);
        clearTimeout(sub.timer);
        await sub.on?.unsubscribe(channel, sub.listener).catch(() => undefined);
      },
    };
  }

  /** Subscribes `sub` on the current session; tried again every `probeIntervalMs` until it is. */
  private async attach(sub: SubscriptionState): Promise<void> {
    if (sub.closed) return;
    try {
      const session = await this.renewed((this.session ??= this.open()));
      const subscriber = await this.subscriber(session);
      await within(subscriber.subscribe(sub.channel, sub.listener), this.commandTimeoutMs);
      if (session.closed) throw new Error('session ended');
      [sub.session, sub.on] = [session, subscriber];
    } catch {
      if (!sub.closed && this.subscriptions.has(sub)) {
        sub.timer = setTimeout(() => void this.attach(sub), this.probeIntervalMs);
      }
    }
  }

  /** Closes every connection (subscriptions end); a later command opens new ones. */
  close(): void {
    for (const sub of this.subscriptions) clearTimeout(sub.timer);
    this.subscriptions.clear();
    const session = this.session;
    this.session = undefined;
    if (session) this.end(session);
  }

  private end(session: Session) {
    session.closed = true;
    // Its subscriptions move to the session that replaces it.
    for (const sub of this.subscriptions) {
      if (sub.session !== session) continue;
      [sub.session, sub.on] = [undefined, undefined];
      clearTimeout(sub.timer);
      sub.timer = setTimeout(() => void this.attach(sub), 0);
    }
    const handle = session.handle;
    if (handle?.mode === 'sentinel') void handle.client.destroy().catch(() => undefined);
    else handle?.client.destroy();
    void session.subscriber?.then(
      (client) => client.destroy(),
      () => undefined,
    );
  }

  /** `session`, or a new one in its place when its first connection failed for good. */
  private async renewed(session: Session): Promise<Session> {
    await session.loading;
    const current = this.session;
    if (current && current !== session) {
      await current.loading;
      return current;
    }
    if ((session.connectError === undefined && !session.stale) || !current) return session;
    this.end(session);
    const next = (this.session = this.open());
    await next.loading;
    return next;
  }

  /** The session's client once connected (at most `connectTimeoutMs` from now). */
  private async connected(session: Session): Promise<Handle> {
    if (session.connecting) await within(session.connecting, this.connectTimeoutMs);
    if (session.connectError !== undefined) throw session.connectError;
    if (!session.handle) {
      throw new Error('@redis/client could not be loaded', { cause: session.loadError });
    }
    return session.handle;
  }

  private dispatch(handle: Handle, args: readonly string[], route: RedisRoute): Promise<unknown> {
    switch (handle.mode) {
      case 'standalone':
        return handle.client.sendCommand([...args]);
      case 'cluster':
        return handle.client.sendCommand(route.key, route.readonly ?? false, [...args]);
      case 'sentinel':
        return handle.client.sendCommand(route.readonly ?? false, [...args]);
    }
  }

  private async subscriber(session: Session): Promise<Subscriber> {
    const handle = await this.connected(session);
    // Cluster and Sentinel subscribe on connections of their own (listeners get strings).
    if (handle.mode !== 'standalone') return handle.client as unknown as Subscriber;
    session.subscriber ??= (async () => {
      const client = handle.client.duplicate();
      client.on('error', (error: unknown) => void (session.lastError = error));
      await client.connect();
      return client;
    })();
    // A subscriber that failed for good is made again by the next attempt.
    session.subscriber.catch(() => (session.subscriber = undefined));
    return await within(session.subscriber, this.connectTimeoutMs);
  }

  /**
   * Loads node-redis (a process that never uses Redis never loads its ~480 modules), makes
   * the client for the mode and starts connecting; commands wait for the loading before
   * their deadline starts.
   */
  private open(): Session {
    const session: Session = { loading: Promise.resolve(), closed: false };
    session.loading = import('@redis/client').then(
      (redis) => {
        if (session.closed) return;
        // The first connection attempt that fails ends the wait of the commands waiting
        // for it (they fail with its reason); the client keeps trying in the background.
        let attemptFailed: (error: unknown) => void = () => undefined;
        const failed = new Promise<never>((_, reject) => (attemptFailed = reject));
        failed.catch(() => undefined);
        const handle = this.create(redis, session, (error) => attemptFailed(error));
        session.handle = handle;
        const client: { connect(): Promise<unknown> } = handle.client;
        const connected = client.connect().then(
          () => {
            session.connecting = undefined;
          },
          (error: unknown) => {
            session.connecting = undefined;
            session.connectError =
              error instanceof Error ? error : new Error('connect failed', { cause: error });
            throw session.connectError;
          },
        );
        connected.catch(() => undefined);
        session.connecting = Promise.race([connected, failed]);
      },
      (error: unknown) => {
        session.loadError = error;
      },
    );
    return session;
  }

  private create(
    redis: typeof import('@redis/client'),
    session: Session,
    attemptFailed: (error: unknown) => void,
  ): Handle {
    const { target } = this;
    const onError = (error: unknown) => void (session.lastError = error);
    // A reconnection: the next command may try at once instead of waiting for the probe.
    const onReady = () => {
      session.lastError = undefined;
      if (this.down) this.down.nextProbeAt = 0;
    };
    const socket = {
      connectTimeout: this.connectTimeoutMs,
      reconnectStrategy,
      ...(target.tls
        ? {
            tls: true as const,
            ...(target.ca !== undefined && { ca: target.ca }),
            ...(target.servername !== undefined && { servername: target.servername }),
          }
        : { tls: false as const }),
    };
    const node = {
      ...(target.username !== undefined && { username: target.username }),
      ...(target.password !== undefined && { password: target.password }),
      // Down means down: a command fails at once instead of queueing until Redis is back.
      disableOfflineQueue: true,
      commandsQueueMaxLength: 1_000,
    } satisfies Partial<RedisClientOptions>;
    // node-redis times out commands still waiting to be written; one written to a hung server
    // waits for its reply, so `send` also bounds the wait for it.
    const commandOptions = { timeout: this.commandTimeoutMs };
    switch (target.mode) {
      case 'standalone': {
        const [{ host, port }] = target.nodes;
        const client = redis.createClient({
          ...node,
          ...(target.database !== undefined && { database: target.database }),
          socket: { ...socket, host, port },
          commandOptions,
        }) as Standalone;
        // Errors surface as failed commands; the event must have a listener or it would
        // crash the process. Its connect() never fails (it retries): an attempt's error ends
        // the first wait. A cluster's or Sentinel's connect() fails by itself once no node
        // answers; one node's error there says nothing about the others.
        client
          .on('error', (error: unknown) => {
            onError(error);
            attemptFailed(error);
          })
          .on('ready', onReady);
        return { mode: 'standalone', client };
      }
      case 'cluster': {
        const client = redis.createCluster({
          rootNodes: target.nodes.map(({ host, port }) => ({ socket: { host, port } })),
          defaults: { ...node, socket },
          commandOptions,
          // While a node is unreachable, re-read the slots each second: a replica promoted in
          // its place is found within about a second of the promotion.
          topologyRefreshOnReconnectionAttemptStrategy: 1_000,
        }) as unknown as Cluster;
        client.on('error', onError).on('node-error', onError).on('node-ready', onReady);
        return { mode: 'cluster', client };
      }
      case 'sentinel': {
        const client = redis.createSentinel({
          name: target.sentinelMaster!,
          sentinelRootNodes: target.nodes,
          nodeClientOptions: {
            ...node,
            ...(target.database !== undefined && { database: target.database }),
            socket,
          },
          sentinelClientOptions: { socket },
          commandOptions,
          passthroughClientErrorEvents: true,
        }) as unknown as Sentinel;
        client.on('error', onError);
        return { mode: 'sentinel', client };
      }
    }
  }
}
