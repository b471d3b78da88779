import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { format } from 'prettier';
import { parsePool } from './pool.loader.js';
import { poolJsonSchema } from './pool.json-schema.js';

const POOL_FILE = new URL('../pool.json', import.meta.url);
const demoPool = () => JSON.parse(readFileSync(POOL_FILE, 'utf8')) as Record<string, unknown>;

describe('the pool file JSON Schema', () => {
  const ajv = addFormats.default(new Ajv2020({ allErrors: true, strict: false }));
  const validate = ajv.compile(poolJsonSchema());

  // Regenerate after a change to pool.schema.ts: npx vitest run libs/fleet-auth/src/pool.json-schema.spec.ts -u
  it('is the committed pool.schema.json, as zod makes it from PoolSchema', async () => {
    const text = await format(JSON.stringify(poolJsonSchema()), { parser: 'json' });
    await expect(text).toMatchFileSnapshot('../pool.schema.json');
  });

  it('accepts the demo pool, which names it in $schema', () => {
    const pool = demoPool();
    expect(pool.$schema).toBe('./pool.schema.json');
    expect(validate(pool), ajv.errorsText(validate.errors)).toBe(true);
    expect(() => parsePool(pool)).not.toThrow();
  });

  it.each([
    ['an unknown top-level field', (p: Record<string, unknown>) => (p.userPoolID = 'x'), ''],
    ['a user pool id of the wrong shape', (p) => (p.userPoolId = 'Weather01'), '/userPoolId'],
    [
      'a flow Cognito does not have',
      (p) => ((p.clients as { allowedOAuthFlows: string[] }[])[0].allowedOAuthFlows = ['password']),
      '/clients/0/allowedOAuthFlows/0',
    ],
    [
      'a validity that is not a whole number',
      (p) => ((p.clients as { accessTokenValidity: number }[])[0].accessTokenValidity = 1.5),
      '/clients/0/accessTokenValidity',
    ],
  ] as [string, (pool: Record<string, unknown>) => void, string][])(
    'refuses %s, as the loader does',
    (_what, edit, path) => {
      const pool = demoPool();
      edit(pool);
      expect(validate(pool)).toBe(false);
      expect(validate.errors?.map((e) => e.instancePath)).toContain(path);
      expect(() => parsePool(pool)).toThrow();
    },
  );
});
