import { z } from 'zod';
import { PoolSchema } from './pool.schema.js';

/**
 * The pool file's format as a JSON Schema (draft 2020-12), made from {@link PoolSchema} by
 * zod: field names, types, enums, patterns, lengths and defaults, so an editor validates and
 * completes a pool file that names it in `"$schema"`. The cross-field rules (scopes a
 * resource server declares, Cognito's rules for app clients, unique ids) are zod's
 * refinements, which a JSON Schema cannot say: the emulator and the CDK stack check those
 * when they load the file. Committed as `libs/fleet-auth/pool.schema.json` (a spec keeps it
 * in sync) and shipped in the emulator's package.
 *
 * @example
 * ```ts
 * writeFileSync('pool.schema.json', JSON.stringify(poolJsonSchema(), null, 2));
 * ```
 */
export function poolJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(PoolSchema, { io: 'input' });
  const { $schema, ...rest } = schema;
  return {
    $schema,
    title: 'Cognito user pool definition',
    description:
      'A user pool for cognito-m2m-emulator and the nest-m2m-cognito CDK stack: resource servers, app clients and users, in Cognito field names. Secrets in it are DEV-ONLY.',
    ...rest,
  };
}
