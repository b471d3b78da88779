import { formatZodIssues } from '@app/fleet-auth';
import { EnvConfigError, numberOption } from '@nest-m2m-cognito/auth/observability';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { awsIssuerHostOf } from '../tokens/issuer-forms.js';

/** Validated emulator settings, read once from an environment object at start-up. */
export interface EmulatorConfig {
  host: string;
  port: number;
  poolFile: string;
  keysFile: string | undefined;
  issuerBase: string | undefined;
  admin: boolean;
  /** Where control-plane changes are kept across restarts; unset: in memory only. */
  stateFile: string | undefined;
  /** HTTPS: a certificate from the local dev CA kept in `dir`, or the user's own files. */
  tls:
    | { kind: 'dev-ca'; dir: string }
    | { kind: 'files'; certFile: string; keyFile: string }
    | undefined;
  /** Token requests per second before 429 + Retry-After; unset: unlimited. */
  tokenRps: number | undefined;
}

/**
 * The error of a bad variable: the fleet's one configuration error, the library's
 * `EnvConfigError` (`invalid_config`, `variable` naming it), its message `VARIABLE: why`.
 */
export function configError(variable: string, why: string, cause?: unknown): EnvConfigError {
  return new EnvConfigError(variable, `${variable}: ${why}`, { cause });
}

function fail(variable: string, why: string): never {
  throw configError(variable, why);
}

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const flag = optionalText.pipe(
  z.enum(['true', 'false'], { error: 'must be "true" or "false"' }).optional(),
);

const EnvSchema = z.object({
  HOST: optionalText,
  COGNITO_EMULATOR_POOL_FILE: optionalText,
  COGNITO_EMULATOR_KEYS_FILE: optionalText,
  COGNITO_EMULATOR_ISSUER_BASE: optionalText.pipe(
    z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
  ),
  COGNITO_EMULATOR_ADMIN: flag,
  COGNITO_EMULATOR_STATE_FILE: optionalText,
  COGNITO_EMULATOR_TLS: flag,
  COGNITO_EMULATOR_TLS_DIR: optionalText,
  COGNITO_EMULATOR_TLS_CERT: optionalText,
  COGNITO_EMULATOR_TLS_KEY: optionalText,
});

/**
 * A whole-number variable, or undefined when unset or blank, checked by the fleet's one
 * numeric-option check (the library's `numberOption`, which `startService` applies to `PORT`
 * too), failing with the variable's name.
 */
function wholeNumber(
  env: NodeJS.ProcessEnv,
  variable: string,
  min: number,
  max: number,
): number | undefined {
  const text = env[variable]?.trim();
  if (!text) return undefined;
  // The fallback is for an unset value, which returned above.
  return numberOption(variable, Number(text), 0, { min, max, integer: true }, fail);
}

/**
 * Reads the emulator's settings from `env` (never from `process.env` directly),
 * failing fast with a message that names the bad variable.
 */
export function loadEmulatorConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): EmulatorConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const [first] = parsed.error.issues;
    throw new EnvConfigError(String(first.path[0]), formatZodIssues(parsed.error.issues), {
      cause: parsed.error,
    });
  }
  const e = parsed.data;
  const port = wholeNumber(env, 'PORT', 0, 65_535) ?? 4000;
  const base = e.COGNITO_EMULATOR_ISSUER_BASE && new URL(e.COGNITO_EMULATOR_ISSUER_BASE);
  if (base && awsIssuerHostOf(base.hostname) && base.pathname !== '/') {
    fail(
      'COGNITO_EMULATOR_ISSUER_BASE',
      "must have no path when its host is one of Cognito's issuer hosts (the issuer is then {base}/{userPoolId}, as AWS's)",
    );
  }
  const tokenRps = wholeNumber(env, 'COGNITO_EMULATOR_TOKEN_RPS', 1, 999_999);
  const keysFile = e.COGNITO_EMULATOR_KEYS_FILE
    ? resolve(cwd, e.COGNITO_EMULATOR_KEYS_FILE)
    : undefined;
  let tls: EmulatorConfig['tls'];
  if (e.COGNITO_EMULATOR_TLS === 'true') {
    const { COGNITO_EMULATOR_TLS_CERT: cert, COGNITO_EMULATOR_TLS_KEY: key } = e;
    if ((cert === undefined) !== (key === undefined)) {
      fail(
        cert === undefined ? 'COGNITO_EMULATOR_TLS_CERT' : 'COGNITO_EMULATOR_TLS_KEY',
        'set both COGNITO_EMULATOR_TLS_CERT and COGNITO_EMULATOR_TLS_KEY, or neither (a dev CA then issues the certificate)',
      );
    }
    if (cert !== undefined && key !== undefined) {
      tls = { kind: 'files', certFile: resolve(cwd, cert), keyFile: resolve(cwd, key) };
    } else {
      const dir = e.COGNITO_EMULATOR_TLS_DIR ?? (keysFile && dirname(keysFile));
      if (dir === undefined) {
        fail(
          'COGNITO_EMULATOR_TLS_DIR',
          'required with COGNITO_EMULATOR_TLS=true when COGNITO_EMULATOR_KEYS_FILE is unset (the dev CA is kept there, to be trusted once)',
        );
      }
      tls = { kind: 'dev-ca', dir: resolve(cwd, dir) };
    }
    if (e.COGNITO_EMULATOR_ISSUER_BASE?.startsWith('http:')) {
      fail('COGNITO_EMULATOR_ISSUER_BASE', 'must be an https URL with COGNITO_EMULATOR_TLS=true');
    }
  }
  return {
    host: e.HOST ?? '127.0.0.1',
    port,
    poolFile: resolve(cwd, e.COGNITO_EMULATOR_POOL_FILE ?? 'libs/fleet-auth/pool.json'),
    keysFile,
    issuerBase: e.COGNITO_EMULATOR_ISSUER_BASE,
    admin: e.COGNITO_EMULATOR_ADMIN === 'true',
    stateFile: e.COGNITO_EMULATOR_STATE_FILE
      ? resolve(cwd, e.COGNITO_EMULATOR_STATE_FILE)
      : undefined,
    tls,
    tokenRps,
  };
}
