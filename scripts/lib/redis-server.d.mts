// Types for redis-server.mjs, so the TypeScript tests use the same throwaway Redis.
export type RedisEngine = 'redis' | 'valkey';

export interface TlsFiles {
  dir: string;
  /** The CA that signed the server certificate. */
  ca: string;
  /** A CA that signed nothing here: a client trusting only it refuses the server. */
  otherCa: string;
  cert: string;
  key: string;
  /** The DNS names the server certificate carries. */
  names: string[];
  close(): Promise<void>;
}

export interface RedisServerOptions {
  /** `redis` (Debian's redis-server, the default) or `valkey` (bookworm-backports). */
  engine?: RedisEngine;
  /** `requirepass`: clients must authenticate (URL `redis://:password@host:port`). */
  password?: string;
  /** ACL rules, one user each: `'cache on >pw ~m2m:* -@all +eval'`. */
  users?: string[];
  /** TLS only (no plain port), with these files. */
  tls?: TlsFiles;
  /** Cluster-enabled (failure detection in `nodeTimeoutMs`, default 1,000). */
  cluster?: { nodeTimeoutMs?: number };
  /** A replica of the primary on this port. */
  replicaOf?: number;
  /** A Sentinel watching `master` on `primaryPort`. */
  sentinel?: { master: string; primaryPort: number; downAfterMs?: number };
}

export function engineAvailable(engine: RedisEngine): boolean;
export function engineVersion(engine: RedisEngine): string;

export class RedisServer {
  private constructor();
  static start(options?: RedisServerOptions): Promise<RedisServer>;
  readonly port: number;
  readonly engine: RedisEngine;
  readonly options: RedisServerOptions;
  /** `redis://` (or `rediss://`) `127.0.0.1:<port>`, with the password if any. */
  readonly url: string;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  readonly running: boolean;
  readonly output: string;
  answers(timeoutMs?: number): Promise<boolean>;
  cli(args: string[], options?: { timeoutMs?: number }): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<void>;
  kill(): Promise<void>;
  restart(): Promise<void>;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export class RedisCluster {
  private constructor();
  static start(options?: {
    primaries?: number;
    replicas?: number;
    engine?: RedisEngine;
    nodeTimeoutMs?: number;
    users?: string[];
  }): Promise<RedisCluster>;
  readonly nodes: RedisServer[];
  seeds(count?: number): string[];
  primaryOf(key: string): Promise<RedisServer | undefined>;
  flushAll(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  healed(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export class RedisSentinelSet {
  private constructor();
  static start(options?: {
    engine?: RedisEngine;
    master?: string;
    downAfterMs?: number;
  }): Promise<RedisSentinelSet>;
  readonly primary: RedisServer;
  readonly replica: RedisServer;
  readonly sentinels: RedisServer[];
  readonly master: string;
  readonly urls: string[];
  close(): Promise<void>;
}

export function makeTlsFiles(options?: { names?: string[] }): Promise<TlsFiles>;
