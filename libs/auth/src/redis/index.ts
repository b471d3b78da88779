// @nest-m2m-cognito/auth/redis: fleet-wide state in Redis (a single node, Cluster, Sentinel;
// TLS, ACL users): one connection factory, and the token cache of a fleet's replicas on it.
// Loads @redis/client (an optional peer) when a connection's first command runs; the client
// entry point never does.
export {
  RedisTokenCacheStore,
  type RedisTokenCacheOptions,
  type RedisTokenCacheStoreOptions,
} from './redis-token-cache.store.js';
export { RedisConnection, type RedisRoute, type RedisSubscription } from './redis-connection.js';
export type { RedisConnectionOptions, RedisMode } from './redis-connection.options.js';
export { RedisConfigError, RedisUnavailableError } from './redis.errors.js';
export { SharedCacheUnavailableError } from '../client/index.js';
export { redisConnectionOptionsFromEnv } from './redis-connection.env.js';
export { redisTokenCacheOptionsFromEnv, redisTokenCacheFromEnv } from './redis.env.js';
