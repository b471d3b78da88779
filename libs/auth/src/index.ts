// The only import surface of @app/auth. Injection tokens and metadata keys stay out of it.
export { MetricsModule } from './metrics/metrics.module.js';
export type { MetricsModuleOptions } from './metrics/metrics.module-definition.js';
export { Public } from './resource-server/public.decorator.js';
export { cognitoIssuer, cognitoTokenUrl } from './cognito/cognito-urls.js';
export { LoggingModule, useStructuredLogger } from './observability/logging.module.js';
export type { LoggingModuleOptions } from './observability/logging.module.js';
export {
  RequestIdContext,
  propagateRequestId,
  requestIdFrom,
  REQUEST_ID_HEADER,
} from './observability/request-id.js';
export { scrubSecrets } from './observability/redaction.js';
export { HealthModule } from './observability/health.module.js';
export type { HealthModuleOptions } from './observability/health.module.js';
export type { ReadinessIndicator } from './observability/readiness-indicator.js';
export { M2MClientModule } from './client/client.module.js';
export type {
  M2MClientModuleOptions,
  M2MClientModuleExtras,
} from './client/client.module-definition.js';
export {
  TokenProvider,
  type TokenProviderOptions,
  type TokenProviderDeps,
  type TokenClock,
} from './client/token-provider.js';
export { TokenEndpointError, TokenEndpointUnavailableError } from './client/client.errors.js';
export {
  MemoryTokenCacheStore,
  tokenCacheKey,
  type TokenCacheStore,
  type CachedToken,
} from './client/token-cache.store.js';
export type { RetryOptions } from './client/backoff.js';
export type { ClientAuthMethod } from './client/token-endpoint.js';
export {
  InjectTokenProvider,
  InjectM2MHttpService,
  getTokenProviderToken,
  getM2MHttpServiceToken,
} from './client/client.tokens.js';
