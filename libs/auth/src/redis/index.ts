// @nest-m2m-cognito/auth/redis: one token cache for a fleet's replicas, in Redis.
// Loads @redis/client (an optional peer) when a store's first client connects; the client
// entry point never does.
export {
  RedisTokenCacheStore,
  type RedisTokenCacheStoreOptions,
  type RedisTokenCacheStoreDeps,
} from './redis-token-cache.store.js';
export {
  SharedCacheUnavailableError,
  type RedisTokenCacheOptions,
  type SharedCacheStatus,
} from './redis-token-cache.js';
export { redisTokenCacheOptionsFromEnv, redisTokenCacheFromEnv } from './redis.env.js';
