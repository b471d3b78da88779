// @nest-m2m-cognito/auth/revocation: a fleet-wide list of revoked tokens (by jti, or a client's
// tokens issued before a time), the function that writes to it, and its store in Redis.
// Loads @redis/client (an optional peer) when a store's first command runs, never before.
export { revoke } from './revoke.js';
export {
  MAX_TOKEN_LIFETIME_SECONDS,
  type ClientRevocation,
  type JtiRevocation,
  type RevocationEntry,
  type RevocationRequest,
} from './revocation-entry.js';
export type { RevocationSnapshot, RevocationStore, RevocationWatch } from './revocation-store.js';
export {
  RevocationList,
  type RevocationListOptions,
  type RevocationState,
  type RevocationStatus,
  type RevocationVerdict,
} from './revocation-list.js';
export {
  RedisRevocationStore,
  type RedisRevocationStoreOptions,
} from './redis-revocation.store.js';
export { redisRevocationStoreFromEnv, revocationOptionsFromEnv } from './revocation.env.js';
export {
  RevocationConfigError,
  RevocationInputError,
  RevocationListFullError,
} from './revocation.errors.js';
export { RedisUnavailableError } from '../redis/redis.errors.js';
