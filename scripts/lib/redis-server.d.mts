// Types for redis-server.mjs, so the TypeScript tests use the same throwaway Redis.
export interface RedisServerOptions {
  /** `requirepass`: clients must authenticate (URL `redis://:password@host:port`). */
  password?: string;
}

export class RedisServer {
  private constructor();
  static start(options?: RedisServerOptions): Promise<RedisServer>;
  readonly port: number;
  readonly url: string;
  readonly running: boolean;
  answers(timeoutMs?: number): Promise<boolean>;
  stop(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}
