import { EnvReader } from '../shared/env.js';
import {
  KEY_PREFIX,
  type RedisConnectionOptions,
  type RedisMode,
  resolveRedisTarget,
} from './redis-connection.options.js';

/** The key prefix of a Redis user of the library from `variable`, checked, or `undefined`. */
export function keyPrefixFromEnv(read: EnvReader, variable: string): string | undefined {
  const keyPrefix = read.text(variable);
  if (keyPrefix !== undefined && !KEY_PREFIX.test(keyPrefix)) {
    read.fail(variable, `${variable} must be 1-64 printable characters without spaces`);
  }
  return keyPrefix;
}

/** The variable of each connection option, after the prefix. */
const SUFFIX = {
  url: 'URL',
  mode: 'MODE',
  sentinelMaster: 'SENTINEL_MASTER',
  caFile: 'CA_FILE',
  tlsServerName: 'TLS_SERVERNAME',
} as const;

/**
 * A Redis connection's options from the variables `<prefix>_URL`, `_MODE`,
 * `_SENTINEL_MASTER`, `_CA_FILE` and `_TLS_SERVERNAME`, or `undefined` when `<prefix>_URL`
 * is unset (then the feature using Redis is off). The one reader of Redis settings: the
 * token cache reads `TOKEN_CACHE_REDIS_*` through it, and any other fleet-wide state in
 * Redis reads its own prefix the same way.
 *
 * | variable | option | meaning |
 * | --- | --- | --- |
 * | `<prefix>_URL` | `url` | `redis://[[user]:password@]host[:port][/db]` or `rediss://`; comma-separated cluster seed nodes or Sentinel addresses |
 * | `<prefix>_MODE` | `mode` | `standalone` (default), `cluster` (Redis Cluster, ElastiCache Serverless) or `sentinel` |
 * | `<prefix>_SENTINEL_MASTER` | `sentinelMaster` | with `sentinel`: the master's name |
 * | `<prefix>_CA_FILE` | `caFile` | with `rediss://`: a PEM CA to trust instead of Node's default store |
 * | `<prefix>_TLS_SERVERNAME` | `tlsServerName` | with `rediss://`: the name the server certificate carries, when not the URL's host |
 *
 * It loads nothing but the library's own files (no node-redis, no client), so a resource
 * server reads its settings without loading the client's.
 *
 * Everything is checked here, at start-up, the CA file read: a bad value throws an
 * `EnvConfigError` naming the one variable at fault, never its value (the URL may hold a
 * password).
 *
 * @example
 * ```ts
 * // AUTH_REVOCATION_REDIS_URL=rediss://revocations:secret@cache:6379 AUTH_REVOCATION_REDIS_MODE=cluster
 * const options = redisConnectionOptionsFromEnv(process.env, 'AUTH_REVOCATION_REDIS');
 * const redis = options && new RedisConnection(options);
 * ```
 */
export function redisConnectionOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  prefix: string,
): RedisConnectionOptions | undefined {
  const read = new EnvReader(env);
  const variable = (option: keyof typeof SUFFIX) => `${prefix}_${SUFFIX[option]}`;
  const values = {
    url: read.text(variable('url')),
    mode: read.text(variable('mode')) as RedisMode | undefined,
    sentinelMaster: read.text(variable('sentinelMaster')),
    caFile: read.text(variable('caFile')),
    tlsServerName: read.text(variable('tlsServerName')),
  };
  const { url, ...rest } = values;
  if (url === undefined) {
    const stray = (Object.keys(rest) as (keyof typeof rest)[]).find((k) => rest[k] !== undefined);
    if (stray) {
      read.fail(variable('url'), `${variable('url')} is required when ${variable(stray)} is set`);
    }
    return undefined;
  }
  const options: RedisConnectionOptions = { url };
  for (const option of Object.keys(rest) as (keyof typeof rest)[]) {
    if (rest[option] !== undefined) Object.assign(options, { [option]: rest[option] });
  }
  // Checked now, with the variables' names: the connection checks them again as options.
  resolveRedisTarget(options, variable, (option, message) => read.fail(variable(option), message));
  return options;
}
