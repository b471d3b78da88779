export {
  appClientViolations,
  clientSecretsOf,
  COGNITO_PATTERNS,
  MAX_CLIENT_SECRETS,
  SECONDS_PER,
  STANDARD_SCOPES,
  scopeExists,
  TIME_UNITS,
  tokenValiditySeconds,
  wholeMatch,
  type AppClientSettings,
  type AppClientViolation,
  type ClientSecretSetting,
  type TimeUnit,
  type TokenKind,
  type TokenValidity,
} from './app-client.rules.js';
export { loadPool, parsePool, PoolFileError } from './pool.loader.js';
export {
  ClientFieldsSchema,
  ClientSchema,
  PoolSchema,
  ResourceServerSchema,
  TimeUnitSchema,
  type Pool,
  type PoolClient,
  type PoolDocument,
  type PoolResourceServer,
  type PoolService,
  type PoolUser,
} from './pool.schema.js';
export { formatZodIssues } from './zod-issues.js';
