/** Where Redis is and how long anything there may take: what every Redis user of the library is configured with. */
export interface RedisConnectionOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. A standalone Redis
   * (7 and later) or Valkey; the password is never logged.
   */
  url: string;
  /** The most one command may take once connected. Default 500 ms. */
  commandTimeoutMs?: number;
  /** The most connecting may take (then it retries in the background). Default 2,000 ms. */
  connectTimeoutMs?: number;
  /** While Redis is failing, how often one command tries it again. Default 1,000 ms. */
  probeIntervalMs?: number;
}
