import { z } from 'zod';

/** The embedded default: the local emulator's demo pool (see libs/fleet-auth/pool.json). */
export const DEV_EMULATOR_ISSUER = 'http://127.0.0.1:4000/us-east-1_Weather01';

const optionalNumber = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .nonnegative({ error: `${name} must not be negative` })
    .optional();

const schema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce
    .number({ error: 'PORT must be a number' })
    .int({ error: 'PORT must be an integer' })
    .min(0)
    .max(65535)
    .default(3000),
  AUTH_ISSUER: z.url({ error: 'AUTH_ISSUER must be a URL' }).optional(),
  COGNITO_REGION: z.string().optional(),
  COGNITO_USER_POOL_ID: z.string().optional(),
  AUTH_JWKS_URI: z.url({ error: 'AUTH_JWKS_URI must be a URL' }).optional(),
  AUTH_CLIENT_IDS: z.string().optional(),
  AUTH_CLOCK_TOLERANCE_SECONDS: optionalNumber('AUTH_CLOCK_TOLERANCE_SECONDS'),
  AUTH_JWKS_CACHE_MAX_AGE_SECONDS: optionalNumber('AUTH_JWKS_CACHE_MAX_AGE_SECONDS'),
  AUTH_JWKS_MAX_STALE_SECONDS: optionalNumber('AUTH_JWKS_MAX_STALE_SECONDS'),
  AUTH_JWKS_PENALTY_SECONDS: optionalNumber('AUTH_JWKS_PENALTY_SECONDS'),
  AUTH_JWKS_FAILURE_COOLDOWN_SECONDS: optionalNumber('AUTH_JWKS_FAILURE_COOLDOWN_SECONDS'),
});

/** weather-api's validated configuration. */
export interface WeatherApiConfig {
  host: string;
  port: number;
  auth: {
    issuer?: string;
    region?: string;
    userPoolId?: string;
    jwksUri?: string;
    clientIds?: string[];
    clockToleranceSeconds?: number;
    jwksCacheMaxAgeMs?: number;
    jwksMaxStaleMs?: number;
    jwksPenaltyWindowMs?: number;
    jwksFailureCooldownMs?: number;
  };
  /** True when no issuer was configured and the dev emulator default applies. */
  usesDevIssuer: boolean;
}

/** Raised at start-up when the environment is invalid; the message names the variables. */
export class WeatherApiConfigError extends Error {
  readonly code = 'invalid_config';
}

const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1000);

/**
 * Reads and validates weather-api's environment (empty values count as unset). With no
 * issuer configured it trusts the local emulator's demo pool, except with
 * `NODE_ENV=production`, where it fails naming `AUTH_ISSUER`.
 */
export function loadWeatherApiConfig(env: NodeJS.ProcessEnv): WeatherApiConfig {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new WeatherApiConfigError(`Invalid weather-api configuration: ${details}`, {
      cause: parsed.error,
    });
  }
  const e = parsed.data;
  if (!e.AUTH_ISSUER && !e.COGNITO_REGION !== !e.COGNITO_USER_POOL_ID) {
    const missing = e.COGNITO_REGION ? 'COGNITO_USER_POOL_ID' : 'COGNITO_REGION';
    throw new WeatherApiConfigError(
      `Invalid weather-api configuration: ${missing} is required with ${
        e.COGNITO_REGION ? 'COGNITO_REGION' : 'COGNITO_USER_POOL_ID'
      } (or set AUTH_ISSUER)`,
    );
  }
  const usesDevIssuer = !e.AUTH_ISSUER && !e.COGNITO_REGION;
  if (usesDevIssuer && present.NODE_ENV === 'production') {
    // The local emulator default is for laptops; a production process must name its issuer.
    throw new WeatherApiConfigError(
      'Invalid weather-api configuration: AUTH_ISSUER (or COGNITO_REGION + COGNITO_USER_POOL_ID) ' +
        'is required when NODE_ENV=production',
    );
  }
  return {
    host: e.HOST,
    port: e.PORT,
    usesDevIssuer,
    auth: {
      issuer: e.AUTH_ISSUER ?? (usesDevIssuer ? DEV_EMULATOR_ISSUER : undefined),
      region: e.AUTH_ISSUER ? undefined : e.COGNITO_REGION,
      userPoolId: e.AUTH_ISSUER ? undefined : e.COGNITO_USER_POOL_ID,
      jwksUri: e.AUTH_JWKS_URI,
      clientIds: e.AUTH_CLIENT_IDS?.split(',')
        .map((c) => c.trim())
        .filter((c) => c.length > 0),
      clockToleranceSeconds: e.AUTH_CLOCK_TOLERANCE_SECONDS,
      jwksCacheMaxAgeMs: ms(e.AUTH_JWKS_CACHE_MAX_AGE_SECONDS),
      jwksMaxStaleMs: ms(e.AUTH_JWKS_MAX_STALE_SECONDS),
      jwksPenaltyWindowMs: ms(e.AUTH_JWKS_PENALTY_SECONDS),
      jwksFailureCooldownMs: ms(e.AUTH_JWKS_FAILURE_COOLDOWN_SECONDS),
    },
  };
}
