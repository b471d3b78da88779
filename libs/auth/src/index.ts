// The only import surface of @app/auth. Injection tokens and metadata keys stay out of it.
export { MetricsModule } from './metrics/metrics.module.js';
export type { MetricsModuleOptions } from './metrics/metrics.module-definition.js';
export { Public } from './resource-server/public.decorator.js';
export { cognitoIssuer, cognitoTokenUrl } from './cognito/cognito-urls.js';
