import { cognitoTokenUrl } from '@app/auth';
import type { ClientAuthMethod, RetryOptions } from '@app/auth';
import { z } from 'zod';

/** One OAuth client of the caller, as configured. */
export interface CallerClientConfig {
  clientId: string;
  clientSecret: string;
  scopes: string[];
  authMethod: ClientAuthMethod;
}

/** Validated caller settings, read once from an environment object at start-up. */
export interface CallerConfig {
  host: string;
  port: number;
  weatherApiUrl: string;
  weatherApiTimeoutMs: number;
  tokenUrl: string;
  tokenTimeoutMs: number;
  retry: Partial<RetryOptions>;
  read: CallerClientConfig;
  write: CallerClientConfig;
}

/** A missing or bad environment variable; the message names it (never its value). */
export class CallerConfigError extends Error {
  override readonly name = 'CallerConfigError';
  readonly code = 'CALLER_CONFIG_INVALID';
}

// DEV-ONLY demo credentials of the emulator's shipped pool (libs/fleet-auth/pool.json),
// used only when no token endpoint is configured, so `npm start` runs the local fleet.
const DEMO = {
  tokenUrl: 'http://127.0.0.1:4000/oauth2/token',
  read: {
    clientId: 'weather-caller',
    clientSecret: 'weather-caller-dev-secret',
    scopes: 'weather-api/forecast.read',
  },
  write: {
    clientId: 'weather-admin',
    clientSecret: 'weather-admin-dev-secret',
    scopes: 'weather-api/forecast.write',
  },
};

const text = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const httpUrl = text.pipe(
  z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
);
const int = (min: number, max: number) =>
  text.pipe(
    z
      .string()
      .regex(/^\d+$/, `must be an integer (${min}-${max})`)
      .transform(Number)
      .refine((n) => n >= min && n <= max, `must be an integer (${min}-${max})`)
      .optional(),
  );
const authMethod = text.pipe(
  z
    .enum(['client_secret_basic', 'client_secret_post'], {
      error: 'must be client_secret_basic or client_secret_post',
    })
    .optional(),
);
const scopes = text.pipe(
  z
    .string()
    .regex(
      /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/,
      'must be space-separated scopes',
    )
    .optional(),
);

const EnvSchema = z.object({
  HOST: text,
  PORT: int(0, 65535),
  WEATHER_API_URL: httpUrl,
  WEATHER_API_TIMEOUT_MS: int(1, 600_000),
  OAUTH_TOKEN_URL: httpUrl,
  COGNITO_DOMAIN: text,
  COGNITO_REGION: text,
  OAUTH_CLIENT_ID: text,
  OAUTH_CLIENT_SECRET: text,
  OAUTH_SCOPES: scopes,
  OAUTH_AUTH_METHOD: authMethod,
  OAUTH_WRITE_CLIENT_ID: text,
  OAUTH_WRITE_CLIENT_SECRET: text,
  OAUTH_WRITE_SCOPES: scopes,
  OAUTH_WRITE_AUTH_METHOD: authMethod,
  OAUTH_TOKEN_TIMEOUT_MS: int(1, 600_000),
  OAUTH_RETRY_MAX_ATTEMPTS: int(1, 20),
  OAUTH_RETRY_MAX_TOTAL_MS: int(0, 600_000),
});

const splitScopes = (value: string | undefined) => (value ? value.split(' ') : []);

/**
 * Reads the caller's settings from `env` (never `process.env` directly), failing fast
 * with a message that names the bad variable. With no token endpoint configured it
 * targets the local emulator's demo pool with its dev-only credentials, unless client
 * credentials are configured or `NODE_ENV=production`: then it fails naming `OAUTH_TOKEN_URL`.
 */
export function loadCallerConfig(env: NodeJS.ProcessEnv): CallerConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new CallerConfigError(`Invalid caller configuration: ${issues}`);
  }
  const e = parsed.data;
  const fail = (message: string): never => {
    throw new CallerConfigError(`Invalid caller configuration: ${message}`);
  };

  let tokenUrl: string | undefined = e.OAUTH_TOKEN_URL;
  if (!tokenUrl && e.COGNITO_DOMAIN) {
    try {
      tokenUrl = cognitoTokenUrl(e.COGNITO_DOMAIN, e.COGNITO_REGION);
    } catch (error) {
      fail(`COGNITO_DOMAIN/COGNITO_REGION: ${(error as Error).message}`);
    }
  }
  if (!tokenUrl) {
    // The demo default sends the demo credentials to a local emulator. Never send configured
    // (possibly real) credentials there, and never fall back to it in production.
    const configured = [
      'OAUTH_CLIENT_ID',
      'OAUTH_CLIENT_SECRET',
      'OAUTH_WRITE_CLIENT_ID',
      'OAUTH_WRITE_CLIENT_SECRET',
    ].filter((name) => e[name as keyof typeof e] !== undefined);
    if (configured.length > 0) {
      fail(
        `OAUTH_TOKEN_URL (or COGNITO_DOMAIN + COGNITO_REGION) is required when ${configured.join(', ')} ${
          configured.length === 1 ? 'is' : 'are'
        } set`,
      );
    }
    if (env.NODE_ENV?.trim() === 'production') {
      fail(
        'OAUTH_TOKEN_URL (or COGNITO_DOMAIN + COGNITO_REGION) is required when NODE_ENV=production',
      );
    }
  }
  const demo = !tokenUrl;

  const client = (
    prefix: 'OAUTH' | 'OAUTH_WRITE',
    id: string | undefined,
    secret: string | undefined,
    scopeList: string | undefined,
    method: ClientAuthMethod | undefined,
    fallback: { clientId: string; clientSecret: string; scopes: string } | undefined,
  ): CallerClientConfig => {
    if (id && !secret) fail(`${prefix}_CLIENT_SECRET is required when ${prefix}_CLIENT_ID is set`);
    if (!id && secret) fail(`${prefix}_CLIENT_ID is required when ${prefix}_CLIENT_SECRET is set`);
    const chosen = id && secret ? { clientId: id, clientSecret: secret } : fallback;
    if (!chosen) return fail(`${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET are required`);
    return {
      clientId: chosen.clientId,
      clientSecret: chosen.clientSecret,
      scopes: splitScopes(scopeList ?? (id ? undefined : fallback?.scopes)),
      authMethod: method ?? 'client_secret_basic',
    };
  };

  const read = client(
    'OAUTH',
    e.OAUTH_CLIENT_ID,
    e.OAUTH_CLIENT_SECRET,
    e.OAUTH_SCOPES,
    e.OAUTH_AUTH_METHOD,
    demo ? DEMO.read : undefined,
  );
  // Outside the demo, a fleet without a separate write client uses the read client's.
  const write = client(
    'OAUTH_WRITE',
    e.OAUTH_WRITE_CLIENT_ID,
    e.OAUTH_WRITE_CLIENT_SECRET,
    e.OAUTH_WRITE_SCOPES,
    e.OAUTH_WRITE_AUTH_METHOD ?? e.OAUTH_AUTH_METHOD,
    demo ? DEMO.write : { clientId: read.clientId, clientSecret: read.clientSecret, scopes: '' },
  );

  return {
    host: e.HOST ?? '127.0.0.1',
    port: e.PORT ?? 3001,
    weatherApiUrl: e.WEATHER_API_URL ?? 'http://127.0.0.1:3000',
    weatherApiTimeoutMs: e.WEATHER_API_TIMEOUT_MS ?? 10_000,
    tokenUrl: tokenUrl ?? DEMO.tokenUrl,
    tokenTimeoutMs: e.OAUTH_TOKEN_TIMEOUT_MS ?? 5_000,
    retry: {
      ...(e.OAUTH_RETRY_MAX_ATTEMPTS !== undefined && { maxAttempts: e.OAUTH_RETRY_MAX_ATTEMPTS }),
      ...(e.OAUTH_RETRY_MAX_TOTAL_MS !== undefined && { maxTotalMs: e.OAUTH_RETRY_MAX_TOTAL_MS }),
    },
    read,
    write,
  };
}
