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

  it("describes what Cognito's newer settings look like: both issuer forms, the V3 trigger, GetClientToken's flow, two secrets", () => {
    const pool = demoPool() as {
      userPool: Record<string, unknown>;
      clients: { clientSecret: unknown; explicitAuthFlows?: string[] }[];
    };
    pool.userPool.issuerConfiguration = { type: 'UPDATED' };
    expect(pool.userPool.lambdaConfig).toEqual({
      preTokenGenerationConfig: { lambdaVersion: 'V3_0', module: 'triggers/tenant-claim.mjs' },
    });
    expect(pool.clients.some((c) => c.explicitAuthFlows?.includes('ALLOW_CLIENT_TOKEN_AUTH'))).toBe(
      true,
    );
    pool.clients[0].clientSecret = ['old-dev-secret', 'new-dev-secret'];
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
    [
      'three client secrets (Cognito keeps at most two)',
      (p) => ((p.clients as { clientSecret: unknown }[])[0].clientSecret = ['a', 'b', 'c']),
      '/clients/0/clientSecret',
    ],
    [
      'an issuer type Cognito does not have',
      (p) => ((p.userPool as Record<string, unknown>).issuerConfiguration = { type: 'NEW' }),
      '/userPool/issuerConfiguration/type',
    ],
    [
      'a pre token generation trigger of a version that never sees M2M tokens',
      (p) =>
        ((p.userPool as Record<string, unknown>).lambdaConfig = {
          preTokenGenerationConfig: { lambdaVersion: 'V2_0', module: 'triggers/tenant-claim.mjs' },
        }),
      '/userPool/lambdaConfig/preTokenGenerationConfig/lambdaVersion',
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
