import { COGNITO_ISSUER_TYPES, type CognitoIssuerType } from '../cognito/cognito-urls.js';
import { EnvReader } from '../shared/env.js';
import type { ResourceServerModuleOptions } from './resource-server.options.js';

/** What {@link resourceServerOptionsFromEnv} takes besides the environment. */
export interface ResourceServerEnvDefaults {
  /** The `realm` of `WWW-Authenticate`, usually the service's name. Default `'api'`. */
  realm?: string;
  /**
   * The issuer trusted when none is configured, e.g. the local emulator's
   * `http://127.0.0.1:4000/us-east-1_Weather01`, so a laptop fleet runs with no environment.
   * Never used with `NODE_ENV=production`. Without it, an issuer is required.
   */
  devIssuer?: string;
}

/**
 * {@link ResourceServerModule} options from environment variables (empty counts as unset):
 *
 * | variable | option | default |
 * | --- | --- | --- |
 * | `AUTH_ISSUER` (comma-separated for several), or `COGNITO_REGION` + `COGNITO_USER_POOL_ID` | `issuer` / `region` + `userPoolId` | `devIssuer` (not in production) |
 * | `COGNITO_ISSUER_TYPES` (comma-separated `ORIGINAL`, `UPDATED`) | `issuerTypes` | both |
 * | `AUTH_JWKS_URI` | `jwksUri` (one for every issuer) | each issuer's `{issuer}/.well-known/jwks.json` |
 * | `AUTH_CLIENT_IDS` (comma-separated) | `clientIds` | any client of the issuer |
 * | `AUTH_CLOCK_TOLERANCE_SECONDS` | `clockToleranceSeconds` | 5 |
 * | `AUTH_JWKS_CACHE_MAX_AGE_SECONDS` | `jwksCacheMaxAgeMs` | 600 |
 * | `AUTH_JWKS_MAX_STALE_SECONDS` | `jwksMaxStaleMs` | 3600 |
 * | `AUTH_JWKS_PENALTY_SECONDS` | `jwksPenaltyWindowMs` | 10 |
 * | `AUTH_JWKS_FAILURE_COOLDOWN_SECONDS` | `jwksFailureCooldownMs` | 1 |
 * | `AUTH_JWKS_TIMEOUT_MS` | `jwksTimeoutMs` (a total deadline) | 5000 |
 * | `AUTH_JWKS_MAX_BYTES` | `jwksMaxBytes` | 1048576 |
 *
 * Throws an `EnvConfigError` naming the first bad or missing variable.
 *
 * @example
 * ```ts
 * ResourceServerModule.forRoot(resourceServerOptionsFromEnv(process.env, { realm: 'inventory-api' }));
 * ```
 */
export function resourceServerOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  defaults: ResourceServerEnvDefaults = {},
): ResourceServerModuleOptions {
  const read: EnvReader = new EnvReader(env);
  const issuers = read.list('AUTH_ISSUER');
  for (const issuer of issuers ?? []) {
    if (!/^https?:$/.test(URL.parse(issuer)?.protocol ?? '')) {
      read.fail(
        'AUTH_ISSUER',
        'AUTH_ISSUER must be a URL (http or https), or several, comma-separated',
      );
    }
  }
  const issuer = issuers && (issuers.length === 1 ? issuers[0] : issuers);
  const issuerTypes = read.list('COGNITO_ISSUER_TYPES');
  for (const type of issuerTypes ?? []) {
    if (!COGNITO_ISSUER_TYPES.includes(type as CognitoIssuerType)) {
      read.fail('COGNITO_ISSUER_TYPES', 'COGNITO_ISSUER_TYPES must list ORIGINAL and/or UPDATED');
    }
  }
  const region = read.text('COGNITO_REGION');
  const userPoolId = read.text('COGNITO_USER_POOL_ID');
  const options: ResourceServerModuleOptions = {
    realm: defaults.realm,
    jwksUri: read.url('AUTH_JWKS_URI'),
    clientIds: read.list('AUTH_CLIENT_IDS'),
    clockToleranceSeconds: read.nonNegative('AUTH_CLOCK_TOLERANCE_SECONDS'),
    jwksCacheMaxAgeMs: read.secondsAsMs('AUTH_JWKS_CACHE_MAX_AGE_SECONDS'),
    jwksMaxStaleMs: read.secondsAsMs('AUTH_JWKS_MAX_STALE_SECONDS'),
    jwksPenaltyWindowMs: read.secondsAsMs('AUTH_JWKS_PENALTY_SECONDS'),
    jwksFailureCooldownMs: read.secondsAsMs('AUTH_JWKS_FAILURE_COOLDOWN_SECONDS'),
    jwksTimeoutMs: read.int('AUTH_JWKS_TIMEOUT_MS', 1, 600_000),
    jwksMaxBytes: read.int('AUTH_JWKS_MAX_BYTES', 1024, 64 * 1024 * 1024),
  };
  if (issuerTypes && !(region || userPoolId)) {
    read.fail(
      'COGNITO_ISSUER_TYPES',
      'COGNITO_ISSUER_TYPES applies to COGNITO_REGION + COGNITO_USER_POOL_ID (not AUTH_ISSUER)',
    );
  }
  if (issuer) return { ...options, issuer };
  if (region || userPoolId) {
    const [missing, given] = region
      ? ['COGNITO_USER_POOL_ID', 'COGNITO_REGION']
      : ['COGNITO_REGION', 'COGNITO_USER_POOL_ID'];
    if (!region || !userPoolId) {
      read.fail(missing, `${missing} is required with ${given} (or set AUTH_ISSUER)`);
    }
    return {
      ...options,
      region,
      userPoolId,
      ...(issuerTypes && { issuerTypes: issuerTypes as CognitoIssuerType[] }),
    };
  }
  const needed = 'AUTH_ISSUER (or COGNITO_REGION + COGNITO_USER_POOL_ID) is required';
  if (read.production) read.fail('AUTH_ISSUER', `${needed} when NODE_ENV=production`);
  if (!defaults.devIssuer) read.fail('AUTH_ISSUER', needed);
  return { ...options, issuer: defaults.devIssuer };
}
