// @nest-m2m-cognito/auth/client: get, cache and attach client-credentials tokens.
// Loads @nestjs/axios and axios; never passport, passport-jwt, jwks-rsa or jsonwebtoken, and
// @aws-sdk/client-secrets-manager only when a SecretsManagerClientSecret first reads.
export { M2MClientModule } from './client.module.js';
export type { M2MClientModuleOptions, M2MClientModuleExtras } from './client.module-definition.js';
export { m2mClientOptionsFromEnv, type M2MClientEnvOptions } from './client.env.js';
export { TokenProvider } from './token-provider.js';
export type {
  TokenProviderOptions,
  TokenProviderDeps,
  TokenClock,
} from './token-provider.options.js';
export {
  TokenEndpointError,
  TokenEndpointUnavailableError,
  TokenRejectedError,
  M2MClientConfigError,
  DownstreamError,
  SharedCacheUnavailableError,
  ClientSecretUnavailableError,
  type DownstreamFailure,
} from './client.errors.js';
export {
  FileClientSecret,
  SecretsManagerClientSecret,
  type ClientSecretSource,
  type FileClientSecretOptions,
  type SecretsManagerClientSecretOptions,
} from './client-secret.js';
export type { ClientMetadata } from './client-metadata.js';
export type { TokenTransportKind } from './token-request.js';
export { EnvConfigError } from '../shared/errors.js';
export { M2MErrorFilter, m2mErrorAnswer, type M2MErrorAnswer } from './m2m-error.filter.js';
export {
  MemoryTokenCacheStore,
  type TokenCacheStore,
  type TokenCacheLease,
} from './token-cache.store.js';
export type { RetryOptions } from './backoff.js';
export type { ClientAuthMethod } from './token-endpoint.js';
export {
  InjectTokenProvider,
  InjectM2MHttpService,
  getTokenProviderToken,
  getM2MHttpServiceToken,
} from './client.tokens.js';
