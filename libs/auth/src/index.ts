// The only import surface of @app/auth. Injection tokens and metadata keys stay out of it;
// `get*Token(name)` are lookup helpers for `app.get()` and test overrides, as in @nestjs/typeorm.

// Resource server: validate Cognito access tokens, enforce scopes (weather-api side).
export { ResourceServerModule } from './resource-server/resource-server.module.js';
export type { ResourceServerModuleOptions } from './resource-server/resource-server.options.js';
export type { ResourceServerModuleExtras } from './resource-server/resource-server.module-definition.js';
export { JwtStrategy } from './resource-server/jwt.strategy.js';
export { JwtAuthGuard } from './resource-server/jwt-auth.guard.js';
export { ScopesGuard } from './resource-server/scopes.guard.js';
export { Public } from './resource-server/public.decorator.js';
export { Scopes } from './resource-server/scopes.decorator.js';
export { Principal } from './resource-server/principal.decorator.js';
export { JwksKeyStore } from './resource-server/jwks-key-store.js';
export {
  ResourceServerError,
  type AuthFailureCode,
  ResourceServerConfigError,
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

// M2M client: get, cache and attach client-credentials tokens (caller side).
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
export {
  TokenEndpointError,
  TokenEndpointUnavailableError,
  M2MClientConfigError,
} from './client/client.errors.js';
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

// Cognito: URLs derived from a region, pool id or domain.
export { cognitoIssuer, cognitoTokenUrl } from './cognito/cognito-urls.js';

// Operations: logs, request ids, health, metrics.
export {
  LoggingModule,
  useStructuredLogger,
  parseLogLevel,
  loggingOptionsFromEnv,
  type LoggingModuleOptions,
} from './observability/logging.module.js';
export {
  RequestIdContext,
  propagateRequestId,
  requestIdFrom,
  REQUEST_ID_HEADER,
} from './observability/request-id.js';
export { scrubSecrets } from './observability/redaction.js';
export { httpUrl, listeningUrl } from './observability/listening-url.js';
export { HealthModule, type HealthModuleOptions } from './observability/health.module.js';
export type { ReadinessIndicator } from './observability/readiness-indicator.js';
export { JwksReadinessIndicator } from './observability/jwks-readiness.indicator.js';
export { TokenProviderReadinessIndicator } from './observability/token-provider-readiness.indicator.js';
export { MetricsModule } from './metrics/metrics.module.js';
export { useHttpMetrics } from './observability/http-metrics.js';
export { useSecurityHeaders } from './observability/security-headers.js';
export type { MetricsModuleOptions } from './metrics/metrics.module-definition.js';
