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
export { ResourceServerModule } from './resource-server/resource-server.module.js';
export type { ResourceServerModuleOptions } from './resource-server/resource-server.options.js';
export type { ResourceServerModuleExtras } from './resource-server/resource-server.module-definition.js';
export { JwtStrategy } from './resource-server/jwt.strategy.js';
export { JwtAuthGuard } from './resource-server/jwt-auth.guard.js';
export { ScopesGuard } from './resource-server/scopes.guard.js';
export { Scopes } from './resource-server/scopes.decorator.js';
export { Principal } from './resource-server/principal.decorator.js';
export { JwksKeyStore } from './resource-server/jwks-key-store.js';
export {
  ResourceServerError,
  type AuthFailureCode,
  TokenMissingError,
  AuthorizationHeaderError,
  TokenMalformedError,
  TokenAlgorithmError,
  TokenSignatureError,
  UnknownKeyError,
  TokenExpiredError,
  TokenNotYetValidError,
  TokenIssuerError,
  TokenUseError,
  ClientNotAllowedError,
  InsufficientScopeError,
  JwksUnavailableError,
} from './resource-server/resource-server.errors.js';
export { parseLogLevel } from './observability/logging.module.js';
export { JwksReadinessIndicator } from './observability/jwks-readiness.indicator.js';
export { TokenProviderReadinessIndicator } from './observability/token-provider-readiness.indicator.js';
export { ResourceServerConfigError } from './resource-server/resource-server.errors.js';
export { M2MClientConfigError } from './client/client.errors.js';
