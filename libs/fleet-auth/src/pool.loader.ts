import { access, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { formatZodIssues } from './zod-issues.js';
import { PoolSchema, type Pool } from './pool.schema.js';

/** The pool file is missing, not JSON, or not a valid pool; the message names the field. */
export class PoolFileError extends Error {
  readonly code = 'invalid_pool_file';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoolFileError';
  }
}

/** Validates a parsed pool document. */
export function parsePool(doc: unknown, source = 'pool'): Pool {
  const parsed = PoolSchema.safeParse(doc);
  if (!parsed.success) {
    throw new PoolFileError(`Invalid ${source}: ${formatZodIssues(parsed.error.issues)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/**
 * Where the pre token generation trigger's module of the pool file `poolFile` is: its
 * `userPool.lambdaConfig.preTokenGenerationConfig.module`, relative to the pool file (or
 * absolute). The emulator imports it; the CDK stack bundles it into the Lambda function.
 *
 * @example
 * ```ts
 * triggerModulePath('libs/fleet-auth/pool.json', 'triggers/tenant-claim.mjs');
 * // <absolute path>/libs/fleet-auth/triggers/tenant-claim.mjs
 * ```
 */
export function triggerModulePath(poolFile: string, module: string): string {
  return resolve(dirname(resolve(poolFile)), module);
}

/**
 * Reads and validates a pool file, and checks that the trigger module it names exists. `origin` (the variable or option that named the file)
 * starts every message, so a failed start-up says which setting to fix.
 *
 * @example
 * ```ts
 * const pool = await loadPool('libs/fleet-auth/pool.json', 'COGNITO_EMULATOR_POOL_FILE');
 * ```
 */
export async function loadPool(file: string, origin = 'pool file'): Promise<Pool> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new PoolFileError(`${origin}: cannot read pool file ${file}`, { cause });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new PoolFileError(`${origin}: ${file} is not valid JSON`, { cause });
  }
  const pool = parsePool(doc, `pool file ${file}`);
  const trigger = pool.userPool.lambdaConfig?.preTokenGenerationConfig;
  if (trigger) {
    const path = triggerModulePath(file, trigger.module);
    await access(path).catch((cause: unknown) => {
      throw new PoolFileError(
        `Invalid pool file ${file}: userPool.lambdaConfig.preTokenGenerationConfig.module: no file ${path} (the path is relative to the pool file)`,
        { cause },
      );
    });
  }
  return pool;
}
