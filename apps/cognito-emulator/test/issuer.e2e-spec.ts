import {
  DescribeUserPoolCommand,
  UpdateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { join } from 'node:path';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import request from 'supertest';
import { startEmulator, type StartedEmulator } from '../src/bootstrap.js';
import {
  CALLER,
  decode,
  DEMO_POOL,
  type EmulatorWithSdk,
  failure,
  POOL_ID,
  startWithSdk,
  tempDir,
  token,
} from './helpers.js';

const ORIGINAL_HOST = 'cognito-idp.us-east-1.amazonaws.com';
const UPDATED_HOST = 'issuer-cognito-idp.us-east-1.amazonaws.com';
const ORIGINAL = `https://${ORIGINAL_HOST}/${POOL_ID}`;
const UPDATED = `https://${UPDATED_HOST}/${POOL_ID}`;
const TRIGGER_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:tenant-claim';

/** The emulator's documents as a client reaching it by an AWS host name gets them. */
async function at(emu: StartedEmulator, host: string) {
  const get = (path: string) =>
    request(emu.url).get(`/${POOL_ID}/.well-known/${path}`).set('Host', host).expect(200);
  return {
    discovery: (await get('openid-configuration')).body as Record<string, unknown>,
    jwks: (await get('jwks.json')).body as JSONWebKeySet,
  };
}

describe("both issuer forms, imitating Cognito's hosts", () => {
  let dir: string;
  let emu: EmulatorWithSdk;
  const env = () => ({
    PORT: '0',
    LOG_LEVEL: 'warn',
    COGNITO_EMULATOR_POOL_FILE: DEMO_POOL,
    COGNITO_EMULATOR_ADMIN: 'true',
    COGNITO_EMULATOR_ISSUER_BASE: `https://${ORIGINAL_HOST}`,
    COGNITO_EMULATOR_STATE_FILE: join(dir, 'state.json'),
    COGNITO_EMULATOR_KEYS_FILE: join(dir, 'keys.json'),
  });
  beforeAll(async () => {
    dir = await tempDir();
    emu = await startWithSdk(env());
  });
  afterAll(() => emu.close());

  const describePool = async () =>
    (await emu.cognito.send(new DescribeUserPoolCommand({ UserPoolId: POOL_ID }))).UserPool!;
  // At the emulator's own address: the AWS host names resolve to AWS, never asked here.
  const issued = async () =>
    (await token({ tokenUrl: `${emu.url}/oauth2/token` }, CALLER.id, CALLER.secret)).body
      .access_token as string;

  it('moves a pool to the updated issuer with UpdateUserPool, both forms verifying meanwhile', async () => {
    // The definition's type: ORIGINAL, reported as Cognito reports it.
    expect(await describePool()).toMatchObject({
      IssuerConfiguration: { Type: 'ORIGINAL' },
      LambdaConfig: {
        PreTokenGeneration: TRIGGER_ARN,
        PreTokenGenerationConfig: { LambdaArn: TRIGGER_ARN, LambdaVersion: 'V3_0' },
      },
      DeletionProtection: 'ACTIVE',
    });
    expect(emu.issuer).toBe(ORIGINAL);
    const before = await issued();
    expect(decode(before).claims.iss).toBe(ORIGINAL);

    // Each host's discovery names its own issuer, and both publish the same keys.
    const original = await at(emu, ORIGINAL_HOST);
    const updated = await at(emu, `${UPDATED_HOST}:443`);
    expect(original.discovery).toMatchObject({
      issuer: ORIGINAL,
      jwks_uri: `${ORIGINAL}/.well-known/jwks.json`,
    });
    expect(updated.discovery).toMatchObject({
      issuer: UPDATED,
      jwks_uri: `${UPDATED}/.well-known/jwks.json`,
    });
    expect(updated.jwks).toEqual(original.jwks);

    const changed = Math.floor(Date.now() / 1000);
    await emu.cognito.send(
      new UpdateUserPoolCommand({
        UserPoolId: POOL_ID,
        IssuerConfiguration: { Type: 'UPDATED' },
        // Everything else as it was: UpdateUserPool resets what it leaves out.
        DeletionProtection: 'ACTIVE',
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        LambdaConfig: {
          PreTokenGenerationConfig: { LambdaArn: TRIGGER_ARN, LambdaVersion: 'V3_0' },
        },
      }),
    );
    const pool = await describePool();
    expect(pool).toMatchObject({
      IssuerConfiguration: { Type: 'UPDATED' },
      DeletionProtection: 'ACTIVE',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      LambdaConfig: { PreTokenGenerationConfig: { LambdaArn: TRIGGER_ARN } },
    });
    expect(Math.floor(pool.LastModifiedDate!.getTime() / 1000)).toBeGreaterThanOrEqual(changed);

    // New tokens carry the updated issuer; the token issued before still verifies, at
    // either host's keys, until it expires.
    const after = await issued();
    expect(decode(after).claims.iss).toBe(UPDATED);
    for (const host of [ORIGINAL_HOST, UPDATED_HOST]) {
      const keys = createLocalJWKSet((await at(emu, host)).jwks);
      await jwtVerify(before, keys, { issuer: ORIGINAL });
      await jwtVerify(after, keys, { issuer: UPDATED });
    }
    // Without an AWS host name, discovery names the issuer of the tokens issued now.
    const local = await request(emu.url).get(`/${POOL_ID}/.well-known/openid-configuration`);
    expect(local.body.issuer).toBe(UPDATED);
    // Revocation still knows a token of the other form as one of the pool's.
    const revoke = await request(emu.url)
      .post('/oauth2/revoke')
      .type('form')
      .send({ client_id: 'weather-web', token: before })
      .expect(400);
    expect(revoke.body).toMatchObject({ error: 'unsupported_token_type' });
  });

  it('resets what an UpdateUserPool leaves out, as Cognito does, but keeps the issuer type and name', async () => {
    await emu.cognito.send(new UpdateUserPoolCommand({ UserPoolId: POOL_ID }));
    expect(await describePool()).toMatchObject({
      Name: 'weather-fleet',
      IssuerConfiguration: { Type: 'UPDATED' },
      DeletionProtection: 'INACTIVE',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      LambdaConfig: {},
    });
  });

  it('refuses what Cognito refuses', async () => {
    const update = (input: object) =>
      failure(emu.cognito.send(new UpdateUserPoolCommand({ UserPoolId: POOL_ID, ...input })));
    expect(await update({ IssuerConfiguration: { Type: 'REGIONAL' } })).toEqual({
      name: 'InvalidParameterException',
      status: 400,
      message:
        "1 validation error detected: Value 'REGIONAL' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [ORIGINAL, UPDATED]",
    });
    expect(await update({ UserPoolId: 'us-east-1_Other' })).toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'User pool us-east-1_Other does not exist.',
    });
  });

  it('keeps what UpdateUserPool set across a restart (state file)', async () => {
    await emu.close();
    emu = await startWithSdk(env());
    expect(await describePool()).toMatchObject({
      IssuerConfiguration: { Type: 'UPDATED' },
      DeletionProtection: 'INACTIVE',
    });
    expect(emu.issuer).toBe(UPDATED);
    expect(decode(await issued()).claims.iss).toBe(UPDATED);
  });
});

describe('the issuer type on a base of its own', () => {
  it('is reported, but the one issuer stays {base}/{poolId}', async () => {
    const emu = await startWithSdk({
      COGNITO_EMULATOR_POOL_FILE: DEMO_POOL,
      COGNITO_EMULATOR_ADMIN: 'true',
    });
    try {
      await emu.cognito.send(
        new UpdateUserPoolCommand({
          UserPoolId: POOL_ID,
          IssuerConfiguration: { Type: 'UPDATED' },
        }),
      );
      const pool = await emu.cognito.send(new DescribeUserPoolCommand({ UserPoolId: POOL_ID }));
      expect(pool.UserPool?.IssuerConfiguration).toEqual({ Type: 'UPDATED' });
      expect(emu.issuer).toBe(`${emu.url}/${POOL_ID}`);
      expect(
        decode((await token(emu, CALLER.id, CALLER.secret)).body.access_token as string).claims.iss,
      ).toBe(emu.issuer);
    } finally {
      await emu.close();
    }
  });

  it('refuses an AWS issuer host of another region than the pool, naming the variable', async () => {
    await expect(
      startEmulator({
        PORT: '0',
        COGNITO_EMULATOR_POOL_FILE: DEMO_POOL,
        COGNITO_EMULATOR_ISSUER_BASE: 'https://issuer-cognito-idp.eu-west-1.amazonaws.com',
      }),
    ).rejects.toMatchObject({
      code: 'invalid_config',
      variable: 'COGNITO_EMULATOR_ISSUER_BASE',
      message: expect.stringContaining(
        "names Cognito's issuer host in eu-west-1, but user pool us-east-1_Weather01 is in us-east-1",
      ),
    });
  });
});
