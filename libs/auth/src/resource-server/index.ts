// @nest-m2m-cognito/auth/resource-server: validate Cognito access tokens and enforce scopes.
// Loads @nestjs/passport (passport), passport-jwt (jsonwebtoken) and jwks-rsa; never the M2M
// client's axios machinery.
export { ResourceServerModule } from './resource-server.module.js';
export type { ResourceServerModuleOptions } from './resource-server.options.js';
export type { ResourceServerModuleExtras } from './resource-server.module-definition.js';
export {
  resourceServerOptionsFromEnv,
  type ResourceServerEnvDefaults,
} from './resource-server.env.js';
export { JwtStrategy, type VerifiedToken, type VerificationFailure } from './jwt.strategy.js';
export { JwtAuthGuard } from './jwt-auth.guard.js';
export { Public } from '../shared/public.decorator.js';
export { Scopes } from './scopes.decorator.js';
export {
  RequireClaim,
  type ClaimExpectation,
  type ClaimRequirement,
  type ClaimScalar,
} from './require-claim.decorator.js';
export { claim, type ClaimType, type ClaimTypes, type CustomClaim } from './custom-claim.js';
export { AnyValidToken } from './any-valid-token.decorator.js';
export { Principal } from './principal.decorator.js';
export { JwksKeyStore } from './jwks-key-store.js';
export { EnvConfigError } from '../shared/errors.js';
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
  InsufficientClaimError,
  TokenRevokedError,
  JwksUnavailableError,
  RoutePolicyError,
} from './resource-server.errors.js';
export { JwksFetchError, type JwksFetchFailure } from './jwks-fetcher.js';
