import {
  DescribeUserPoolCommand,
  GetClientTokenCommand,
  UpdateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { fileURLToPath } from 'node:url';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import {
  CLIENT_CREDENTIALS_CLAIMS,
  decode,
  DEMO_POOL,
  type EmulatorWithSdk,
  failure,
  POOL_ID,
  READ,
  startWithSdk,
  token,
  WRITE,
  writePool,
} from './helpers.js';

const AUDIT = 'weather-api/forecast.audit';
const CLIENT = { id: 'trigger-test', secret: 'trigger-test-dev-secret' };
const TRIGGER = fileURLToPath(new URL('fixtures/claims-trigger.mjs', import.meta.url));
const TRIGGER_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:claims-trigger';

/** The demo pool with the e2e trigger, a third scope, and a client on both M2M ways. */
const triggerPool = () =>
  writePool((pool) => {
    pool.userPool!.lambdaConfig = {
      preTokenGenerationConfig: { lambdaVersion: 'V3_0', module: TRIGGER },
    };
    pool.resourceServers![0].scopes.push({ name: 'forecast.audit', description: 'Audit' });
    pool.clients.push({
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      allowedOAuthFlows: ['client_credentials'],
      explicitAuthFlows: ['ALLOW_CLIENT_TOKEN_AUTH'],
      allowedOAuthScopes: [READ, WRITE],
    });
  });

describe('a V3 pre token generation trigger on client-credentials tokens', () => {
  let emu: EmulatorWithSdk;
  beforeAll(async () => {
    emu = await startWithSdk({
      COGNITO_EMULATOR_POOL_FILE: await triggerPool(),
      COGNITO_EMULATOR_ADMIN: 'true',
    });
  });
  afterAll(() => emu.close());

  /** A token from each way, with the same client metadata (and scopes, when named). */
  async function bothWays(metadata: Record<string, string>, scopes?: string[]) {
    const endpoint = await token(emu, CLIENT.id, CLIENT.secret, scopes?.join(' '), {
      aws_client_metadata: JSON.stringify(metadata),
    });
    expect(endpoint.status).toBe(200);
    const api = await emu.cognito.send(
      new GetClientTokenCommand({
        ClientId: CLIENT.id,
        Secret: CLIENT.secret,
        Scopes: scopes,
        ClientMetadata: metadata,
      }),
    );
    return [
      endpoint.body.access_token as string,
      api.ClientAuthenticationResult!.AccessToken!,
    ] as const;
  }

  /** What the two ways' failures look like: the token endpoint's body, the API's error. */
  async function bothFail(metadata: Record<string, string>) {
    const [endpoint, api] = await Promise.all([
      token(emu, CLIENT.id, CLIENT.secret, undefined, {
        aws_client_metadata: JSON.stringify(metadata),
      }),
      failure(
        emu.cognito.send(
          new GetClientTokenCommand({
            ClientId: CLIENT.id,
            Secret: CLIENT.secret,
            ClientMetadata: metadata,
          }),
        ),
      ),
    ]);
    return { endpoint, api };
  }

  it('adds claims, keeps the ones it may not change, suppresses and adds scopes: both ways alike', async () => {
    const tokens = await bothWays({ tenant_id: 'acme' });
    const jwks = createRemoteJWKSet(new URL(`${emu.issuer}/.well-known/jwks.json`));
    const verified: JWTPayload[] = [];
    for (const jwt of tokens) {
      verified.push((await jwtVerify(jwt, jwks, { issuer: emu.issuer })).payload);
    }
    for (const claims of verified) {
      expect(Object.keys(claims).sort()).toEqual(
        [...CLIENT_CREDENTIALS_CLAIMS, 'tenant_id', 'entitlements'].sort(),
      );
      expect(claims).toMatchObject({
        tenant_id: 'acme',
        entitlements: ['forecast', 'history'],
        client_id: CLIENT.id,
        sub: CLIENT.id,
        iss: emu.issuer,
        // Granted read and write; the trigger suppressed write and added audit.
        scope: `${READ} ${AUDIT}`,
      });
      expect(claims.auth_time).toBe(claims.iat);
      expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    }
    const comparable = ({ jti: _, iat: __, exp: ___, auth_time: ____, ...rest }: JWTPayload) =>
      rest;
    expect(comparable(verified[0])).toEqual(comparable(verified[1]));
  });

  it('gives the trigger the V3 event, client metadata and granted scopes included, from both ways', async () => {
    const metadata = { mode: 'echo', tenant_id: 'acme' };
    const [fromEndpoint, fromApi] = (await bothWays(metadata, [READ])).map(
      (jwt) => JSON.parse(decode(jwt).claims.event as string) as Record<string, unknown>,
    );
    const event = (awsSdkVersion: unknown) => ({
      version: '3',
      triggerSource: 'TokenGeneration_ClientCredentials',
      region: 'us-east-1',
      userPoolId: POOL_ID,
      callerContext: { awsSdkVersion, clientId: CLIENT.id },
      request: { scopes: [READ], clientMetadata: metadata },
      response: { claimsAndScopeOverrideDetails: null },
    });
    expect(fromEndpoint).toEqual(event('aws-sdk-unknown-unknown'));
    expect(fromApi).toEqual(event(expect.stringMatching(/^aws-sdk-js-3\.\d+\.\d+$/)));
    // No scope asked for: every allowed one, and no metadata: an empty map.
    const endpoint = await token(emu, CLIENT.id, CLIENT.secret, undefined, {
      aws_client_metadata: JSON.stringify({ mode: 'echo' }),
    });
    expect(
      JSON.parse(decode(endpoint.body.access_token as string).claims.event as string),
    ).toMatchObject({
      request: { scopes: [READ, WRITE], clientMetadata: { mode: 'echo' } },
    });
  });

  it.each([
    [
      'throws',
      'throw',
      'UserLambdaValidationException',
      'PreTokenGeneration failed with error tenant refused.',
    ],
    [
      'answers a claim of a type Cognito refuses',
      'malformed',
      'InvalidLambdaResponseException',
      'Unrecognizable lambda output: claim "tenant_id" must be a string, number, boolean, a list of them, or a JSON object',
    ],
    [
      'returns nothing',
      'nothing',
      'InvalidLambdaResponseException',
      'Invalid lambda function output : Invalid JSON',
    ],
  ])('issues no token when the trigger %s', async (_, mode, name, message) => {
    const { endpoint, api } = await bothFail({ mode });
    expect(endpoint).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: message },
    });
    expect(api).toEqual({ name, status: 400, message });
  });

  it("issues no token when the trigger hangs past Cognito's 5 seconds", async () => {
    const started = Date.now();
    const { endpoint, api } = await bothFail({ mode: 'hang' });
    const message =
      'PreTokenGeneration invocation failed due to error Socket timeout while invoking Lambda function.';
    expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
    expect(endpoint).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: message },
    });
    expect(api).toEqual({ name: 'UnexpectedLambdaException', status: 400, message });
    // The emulator still answers at once afterwards.
    expect((await token(emu, CLIENT.id, CLIENT.secret)).status).toBe(200);
  });

  it('refuses aws_client_metadata that is not a JSON object of strings', async () => {
    for (const value of ['tenant=acme', '{"tier":3}']) {
      expect(
        await token(emu, CLIENT.id, CLIENT.secret, undefined, { aws_client_metadata: value }),
      ).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    }
  });

  it('runs only while UpdateUserPool keeps it attached as V3_0, as DescribeUserPool reports', async () => {
    const described = await emu.cognito.send(new DescribeUserPoolCommand({ UserPoolId: POOL_ID }));
    expect(described.UserPool?.LambdaConfig).toEqual({
      PreTokenGeneration: TRIGGER_ARN,
      PreTokenGenerationConfig: { LambdaArn: TRIGGER_ARN, LambdaVersion: 'V3_0' },
    });
    const customized = async () =>
      'tenant_id' in
      decode((await token(emu, CLIENT.id, CLIENT.secret)).body.access_token as string).claims;
    const update = (LambdaConfig?: object) =>
      emu.cognito.send(new UpdateUserPoolCommand({ UserPoolId: POOL_ID, LambdaConfig }));
    expect(await customized()).toBe(true);

    // V2 events never reach client-credentials tokens.
    await update({ PreTokenGenerationConfig: { LambdaArn: TRIGGER_ARN, LambdaVersion: 'V2_0' } });
    expect(await customized()).toBe(false);
    await update({ PreTokenGenerationConfig: { LambdaArn: TRIGGER_ARN, LambdaVersion: 'V3_0' } });
    expect(await customized()).toBe(true);
    // Left out, as Cognito: the trigger is gone.
    await update();
    expect(await customized()).toBe(false);
    expect(
      (await emu.cognito.send(new DescribeUserPoolCommand({ UserPoolId: POOL_ID }))).UserPool
        ?.LambdaConfig,
    ).toEqual({});
    // Only the pool file's module can run here.
    expect(
      await failure(
        update({
          PreTokenGenerationConfig: {
            LambdaArn: 'arn:aws:lambda:us-east-1:123456789012:function:other',
            LambdaVersion: 'V3_0',
          },
        }),
      ),
    ).toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining(`function ${TRIGGER_ARN}`),
    });
    await update({ PreTokenGenerationConfig: { LambdaArn: TRIGGER_ARN, LambdaVersion: 'V3_0' } });
  });
});

describe("the demo pool's tenant trigger", () => {
  let emu: EmulatorWithSdk;
  const TENANT = { id: 'weather-tenant-caller', secret: 'weather-tenant-caller-dev-secret' };
  beforeAll(async () => {
    emu = await startWithSdk({ COGNITO_EMULATOR_POOL_FILE: DEMO_POOL });
  });
  afterAll(() => emu.close());

  it('adds the tenant the client sends as metadata, both ways, and nothing without it', async () => {
    const endpoint = await token(emu, TENANT.id, TENANT.secret, undefined, {
      aws_client_metadata: JSON.stringify({ tenant_id: 'acme' }),
    });
    const api = await emu.cognito.send(
      new GetClientTokenCommand({
        ClientId: TENANT.id,
        Secret: TENANT.secret,
        ClientMetadata: { tenant_id: 'globex' },
      }),
    );
    expect(decode(endpoint.body.access_token as string).claims.tenant_id).toBe('acme');
    expect(decode(api.ClientAuthenticationResult!.AccessToken!).claims.tenant_id).toBe('globex');
    // Without metadata, and for the demo's other clients: Cognito's claims alone.
    const plain = await token(emu, 'weather-caller', 'weather-caller-dev-secret');
    expect(Object.keys(decode(plain.body.access_token as string).claims).sort()).toEqual(
      CLIENT_CREDENTIALS_CLAIMS,
    );
    const bare = await token(emu, TENANT.id, TENANT.secret);
    expect(Object.keys(decode(bare.body.access_token as string).claims).sort()).toEqual(
      CLIENT_CREDENTIALS_CLAIMS,
    );
  });

  it('refuses a tenant id it cannot put in a token', async () => {
    const refused = await token(emu, TENANT.id, TENANT.secret, undefined, {
      aws_client_metadata: JSON.stringify({ tenant_id: 'acme corp; drop' }),
    });
    expect(refused).toEqual({
      status: 400,
      body: {
        error: 'invalid_request',
        error_description:
          'PreTokenGeneration failed with error tenant_id must be 1-63 letters, digits, ".", "_" or "-".',
      },
    });
  });
});
