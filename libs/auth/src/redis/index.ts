// @nest-m2m-cognito/auth/redis: one token cache for a fleet's replicas, in Redis.
// Loads @redis/client (an optional peer) when a store's first command runs; the client
// entry point never does.
export {
  RedisTokenCacheStore,
  type RedisTokenCacheOptions,
  type RedisTokenCacheStoreOptions,
} from './redis-token-cache.store.js';
export { SharedCacheUnavailableError } from '../client/index.js';
export { redisTokenCacheOptionsFromEnv, redisTokenCacheFromEnv } from './redis.env.js';
