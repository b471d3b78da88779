// @nest-m2m-cognito/auth/observability: what every service runs with (logs and request ids,
// metrics, health and readiness) and how it starts. Loads neither the resource server's
// verifier nor the M2M client: their readiness is found at run time through shared tokens.
export { ObservabilityModule, type ObservabilityModuleOptions } from './observability.module.js';
export {
  startService,
  StartServiceError,
  type StartServiceOptions,
  type StartedService,
} from './start-service.js';
export {
  LoggingModule,
  useStructuredLogger,
  parseLogLevel,
  loggingOptionsFromEnv,
  type LoggingModuleOptions,
} from './logging.module.js';
export { RequestIdContext, propagateRequestId } from './request-id.js';
export { REQUEST_ID_HEADER, requestIdFrom } from '../shared/request-context.js';
export { scrubSecrets } from './redaction.js';
export { httpUrl, listeningUrl } from './listening-url.js';
export { HealthModule, type HealthModuleOptions } from './health.module.js';
export type { ReadinessIndicator } from './readiness-indicator.js';
export { JwksReadinessIndicator } from './jwks-readiness.indicator.js';
export { TokenProviderReadinessIndicator } from './token-provider-readiness.indicator.js';
export { MetricsModule } from './metrics.module.js';
export { useHttpMetrics, UNMATCHED_ROUTE } from './http-metrics.js';
export { useSecurityHeaders, API_CONTENT_SECURITY_POLICY } from './security-headers.js';
export type { MetricsModuleOptions } from './metrics.module-definition.js';
export { EnvConfigError } from '../shared/errors.js';
export { numberOption, type NumberBounds } from '../shared/number-option.js';
