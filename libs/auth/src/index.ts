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
