// @nest-m2m-cognito/auth/redis: one token cache for a fleet's replicas, in Redis.
// Loads @redis/client (an optional peer) when a store's first command runs; the client
// entry point never does.
export {
  RedisTokenCacheStore,
  type RedisTokenCacheOptions,
  type RedisTokenCacheStoreOptions,
} from './redis-token-cache.store.js';
export { RedisConnection, type RedisRoute, type RedisSubscription } from './redis-connection.js';
export type { RedisConnectionOptions } from './redis-connection.options.js';
export { redisConnectionOptionsFromEnv } from './redis-connection.env.js';
export { RedisConfigError, RedisUnavailableError } from './redis.errors.js';
export { SharedCacheUnavailableError } from '../client/index.js';
export { redisTokenCacheOptionsFromEnv, redisTokenCacheFromEnv } from './redis.env.js';
