import { formatZodIssues } from '@app/fleet-auth';
import { resolve } from 'node:path';
import { z } from 'zod';

/** Validated emulator settings, read once from an environment object at start-up. */
export interface EmulatorConfig {
  host: string;
  port: number;
  poolFile: string;
  keysFile: string | undefined;
  issuerBase: string | undefined;
  admin: boolean;
}

/** A bad environment variable; the message names it. */
export class EmulatorConfigError extends Error {
  readonly code = 'EMULATOR_CONFIG_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmulatorConfigError';
  }
}

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const EnvSchema = z.object({
  HOST: optionalText,
  PORT: optionalText.pipe(
    z
      .string()
      .regex(/^\d{1,5}$/, 'must be a port number (0-65535)')
      .transform(Number)
      .refine((n) => n <= 65535, 'must be a port number (0-65535)')
      .optional(),
  ),
  COGNITO_EMULATOR_POOL_FILE: optionalText,
  COGNITO_EMULATOR_KEYS_FILE: optionalText,
  COGNITO_EMULATOR_ISSUER_BASE: optionalText.pipe(
    z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
  ),
  COGNITO_EMULATOR_ADMIN: optionalText.pipe(
    z.enum(['true', 'false'], { error: 'must be "true" or "false"' }).optional(),
  ),
});

/**
 * Reads the emulator's settings from `env` (never from `process.env` directly),
 * failing fast with a message that names the bad variable.
 */
export function loadEmulatorConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): EmulatorConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new EmulatorConfigError(
      `Invalid cognito-emulator configuration: ${formatZodIssues(parsed.error.issues)}`,
      { cause: parsed.error },
    );
  }
  const e = parsed.data;
  return {
    host: e.HOST ?? '127.0.0.1',
    port: e.PORT ?? 4000,
    poolFile: resolve(cwd, e.COGNITO_EMULATOR_POOL_FILE ?? 'libs/fleet-auth/pool.json'),
    keysFile: e.COGNITO_EMULATOR_KEYS_FILE ? resolve(cwd, e.COGNITO_EMULATOR_KEYS_FILE) : undefined,
    issuerBase: e.COGNITO_EMULATOR_ISSUER_BASE,
    admin: e.COGNITO_EMULATOR_ADMIN === 'true',
  };
}
