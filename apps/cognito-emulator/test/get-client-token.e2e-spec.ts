import {
  AddUserPoolClientSecretCommand,
  CreateUserPoolClientCommand,
  type CreateUserPoolClientCommandInput,
  DeleteUserPoolClientSecretCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  type ExplicitAuthFlowsType,
  GetClientTokenCommand,
  ListUserPoolClientSecretsCommand,
  UpdateUserPoolClientCommand,
  UpdateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StartedEmulator } from '../src/bootstrap.js';
import {
  CALLER,
  decode,
  DEMO_POOL,
  type EmulatorWithSdk,
  failure,
  POOL_ID,
  READ,
  startWithSdk,
  tempDir,
  token,
  WRITE,
} from './helpers.js';

const SDK_CALLER = { id: 'weather-sdk-caller', secret: 'weather-sdk-caller-dev-secret' };
const TENANT = { id: 'weather-tenant-caller', secret: 'weather-tenant-caller-dev-secret' };
// Not in the SDK's ExplicitAuthFlowsType yet (3.1169): the API takes it all the same.
const CLIENT_TOKEN_AUTH = 'ALLOW_CLIENT_TOKEN_AUTH' as ExplicitAuthFlowsType;

/** `cognito_emulator_token_requests_total` for one label set, from the emulator's /metrics. */
async function counted(emu: StartedEmulator, labels: string): Promise<number> {
  const text = await (await fetch(`${emu.url}/metrics`)).text();
  const line = new RegExp(
    `^cognito_emulator_token_requests_total\\{${labels}[^}]*\\} (\\d+)$`,
    'm',
  );
  return Number(line.exec(text)?.[1] ?? 0);
}

describe('GetClientToken through the AWS SDK v3', () => {
  let emu: EmulatorWithSdk;
  beforeAll(async () => {
    // No COGNITO_EMULATOR_ADMIN: GetClientToken is a client's own call, not the control plane.
    emu = await startWithSdk({ COGNITO_EMULATOR_POOL_FILE: DEMO_POOL });
  });
  afterAll(() => emu.close());

  const getToken = (input: { ClientId: string; Secret: string; Scopes?: string[] }) =>
    emu.cognito.send(new GetClientTokenCommand(input));

  it('issues the token the token endpoint would, verifiable with the JWKS', async () => {
    const { ClientAuthenticationResult: result } = await getToken({
      ClientId: SDK_CALLER.id,
      Secret: SDK_CALLER.secret,
    });
    expect(result).toEqual({
      AccessToken: expect.any(String),
      ExpiresIn: 3600,
      TokenType: 'Bearer',
    });
    const jwks = createRemoteJWKSet(new URL(`${emu.issuer}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(result!.AccessToken!, jwks, {
      issuer: emu.issuer,
      algorithms: ['RS256'],
    });
    expect(protectedHeader).toEqual({ kid: expect.any(String), alg: 'RS256' });
    // Omitted Scopes: every scope the client is allowed.
    expect(payload).toMatchObject({
      sub: SDK_CALLER.id,
      client_id: SDK_CALLER.id,
      scope: READ,
      token_use: 'access',
      version: 2,
    });
    expect(payload.exp! - payload.iat!).toBe(3600);
    // The same claims, in the same order, as a client-credentials token of the endpoint.
    const endpoint = await token(emu, CALLER.id, CALLER.secret);
    expect(Object.keys(payload)).toEqual(
      Object.keys(decode(endpoint.body.access_token as string).claims),
    );
  });

  it('grants the scopes asked for', async () => {
    const { ClientAuthenticationResult: result } = await getToken({
      ClientId: SDK_CALLER.id,
      Secret: SDK_CALLER.secret,
      Scopes: [READ, READ],
    });
    expect(decode(result!.AccessToken!).claims.scope).toBe(READ);
  });

  it.each([
    [
      'a client without ALLOW_CLIENT_TOKEN_AUTH',
      { ClientId: CALLER.id, Secret: CALLER.secret },
      'InvalidParameterException',
      'ALLOW_CLIENT_TOKEN_AUTH flow not enabled for this client',
    ],
    [
      'a wrong secret',
      { ClientId: SDK_CALLER.id, Secret: 'not-the-secret' },
      'NotAuthorizedException',
      `Invalid client secret for client ${SDK_CALLER.id}.`,
    ],
    [
      'a scope the client may not have',
      { ClientId: SDK_CALLER.id, Secret: SDK_CALLER.secret, Scopes: [WRITE] },
      'InvalidParameterException',
      `scope not allowed for this client: ${WRITE}`,
    ],
    [
      'a scope nobody declares',
      { ClientId: SDK_CALLER.id, Secret: SDK_CALLER.secret, Scopes: ['weather-api/nothing'] },
      'InvalidParameterException',
      'scope not allowed for this client: weather-api/nothing',
    ],
    [
      'an unknown client',
      { ClientId: 'nobody', Secret: 'x' },
      'ResourceNotFoundException',
      'User pool client nobody does not exist.',
    ],
    [
      'a public client',
      { ClientId: 'weather-web', Secret: 'x' },
      'NotAuthorizedException',
      'Invalid client secret for client weather-web.',
    ],
    [
      'a scope that is not a scope token',
      { ClientId: SDK_CALLER.id, Secret: SDK_CALLER.secret, Scopes: ['two words'] },
      'InvalidParameterException',
      "1 validation error detected: Value '[two words]' at 'scopes' failed to satisfy constraint",
    ],
  ])('refuses %s with %s', async (_, input, name, message) => {
    expect(await failure(getToken(input))).toEqual({
      name: expect.stringContaining(name),
      status: 400,
      message: expect.stringContaining(message),
    });
  });

  it('never echoes the secret it was given', async () => {
    const { message } = await failure(getToken({ ClientId: SDK_CALLER.id, Secret: '' }));
    // A sensitive member: AWS's validation message leaves its value out.
    expect(message).toBe(
      "1 validation error detected: Value at 'secret' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    const wrong = await failure(getToken({ ClientId: SDK_CALLER.id, Secret: 'guess-1234' }));
    expect(wrong.message).not.toContain('guess-1234');
  });

  it('counts its requests beside the token endpoint, the way told apart', async () => {
    const labels = `client_id="${SDK_CALLER.id}",grant_type="GetClientToken"`;
    const before = await counted(emu, `${labels},outcome="success"`);
    const refusedBefore = await counted(emu, `${labels},outcome="NotAuthorizedException"`);
    await getToken({ ClientId: SDK_CALLER.id, Secret: SDK_CALLER.secret });
    await failure(getToken({ ClientId: SDK_CALLER.id, Secret: 'wrong' }));
    expect(await counted(emu, `${labels},outcome="success"`)).toBe(before + 1);
    expect(await counted(emu, `${labels},outcome="NotAuthorizedException"`)).toBe(
      refusedBefore + 1,
    );
  });
});

describe('ALLOW_CLIENT_TOKEN_AUTH in the control plane', () => {
  let emu: EmulatorWithSdk;
  beforeAll(async () => {
    emu = await startWithSdk({
      COGNITO_EMULATOR_POOL_FILE: DEMO_POOL,
      COGNITO_EMULATOR_ADMIN: 'true',
    });
  });
  afterAll(() => emu.close());

  const m2m = {
    UserPoolId: POOL_ID,
    ClientName: 'api-only job',
    GenerateSecret: true,
    ExplicitAuthFlows: [CLIENT_TOKEN_AUTH],
    AllowedOAuthScopes: [READ],
  };

  it('creates a client whose only flow is ALLOW_CLIENT_TOKEN_AUTH, served by GetClientToken at once', async () => {
    const { UserPoolClient: client } = await emu.cognito.send(new CreateUserPoolClientCommand(m2m));
    expect(client).toMatchObject({
      ExplicitAuthFlows: ['ALLOW_CLIENT_TOKEN_AUTH'],
      AllowedOAuthScopes: [READ],
      AllowedOAuthFlows: [],
    });
    const { ClientAuthenticationResult: result } = await emu.cognito.send(
      new GetClientTokenCommand({ ClientId: client!.ClientId!, Secret: client!.ClientSecret! }),
    );
    expect(decode(result!.AccessToken!).claims).toMatchObject({
      client_id: client!.ClientId,
      scope: READ,
    });
    // Without an OAuth flow the token endpoint refuses it.
    const endpoint = await token(emu, client!.ClientId!, client!.ClientSecret!);
    expect(endpoint).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });

    // An update that takes the flow away stops GetClientToken.
    await emu.cognito.send(
      new UpdateUserPoolClientCommand({
        UserPoolId: POOL_ID,
        ClientId: client!.ClientId!,
        ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
        AllowedOAuthScopes: [READ],
      }),
    );
    expect(
      await failure(
        emu.cognito.send(
          new GetClientTokenCommand({ ClientId: client!.ClientId!, Secret: client!.ClientSecret! }),
        ),
      ),
    ).toMatchObject({
      name: 'InvalidParameterException',
      message: 'ALLOW_CLIENT_TOKEN_AUTH flow not enabled for this client',
    });
  });

  it.each([
    [
      'with user authentication flows',
      {
        ExplicitAuthFlows: [CLIENT_TOKEN_AUTH, 'ALLOW_USER_PASSWORD_AUTH'],
      },
      'ExplicitAuthFlows: ALLOW_CLIENT_TOKEN_AUTH must be the only explicit auth flow (no user authentication).',
    ],
    [
      'without a secret',
      { GenerateSecret: false },
      'ClientSecret: ALLOW_CLIENT_TOKEN_AUTH needs a client secret.',
    ],
    [
      'without a scope',
      { AllowedOAuthScopes: [] },
      'AllowedOAuthScopes: ALLOW_CLIENT_TOKEN_AUTH needs at least one custom scope.',
    ],
  ] as [string, Partial<CreateUserPoolClientCommandInput>, string][])(
    'refuses a client %s, as it refuses user flows beside it',
    async (_, change, message) => {
      expect(
        await failure(emu.cognito.send(new CreateUserPoolClientCommand({ ...m2m, ...change }))),
      ).toEqual({ name: 'InvalidParameterException', status: 400, message });
    },
  );

  it('refuses an update that adds a user flow to a GetClientToken client, and keeps the client', async () => {
    const { UserPoolClient: client } = await emu.cognito.send(new CreateUserPoolClientCommand(m2m));
    expect(
      await failure(
        emu.cognito.send(
          new UpdateUserPoolClientCommand({
            UserPoolId: POOL_ID,
            ClientId: client!.ClientId!,
            ExplicitAuthFlows: [CLIENT_TOKEN_AUTH, 'ALLOW_REFRESH_TOKEN_AUTH'],
            AllowedOAuthScopes: [READ],
          }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidParameterException' });
    const described = await emu.cognito.send(
      new DescribeUserPoolClientCommand({ UserPoolId: POOL_ID, ClientId: client!.ClientId! }),
    );
    expect(described.UserPoolClient?.ExplicitAuthFlows).toEqual(['ALLOW_CLIENT_TOKEN_AUTH']);
  });
});

describe('GetClientToken for a client whose flows mix it with user flows', () => {
  it('refuses it, as a state file written before the rule may hold one', async () => {
    const dir = await tempDir();
    const mixed = {
      clientId: 'mixed-flows',
      clientName: 'mixed',
      clientSecret: 'mixed-flows-dev-secret',
      allowedOAuthFlows: [],
      explicitAuthFlows: ['ALLOW_CLIENT_TOKEN_AUTH', 'ALLOW_USER_PASSWORD_AUTH'],
      allowedOAuthScopes: [READ],
    };
    await writeFile(
      join(dir, 'state.json'),
      JSON.stringify({
        userPoolId: POOL_ID,
        resourceServers: [],
        clients: [{ client: mixed, meta: { createdAt: 1, lastModifiedAt: 1 } }],
        deletedResourceServers: [],
        deletedClients: [],
      }),
    );
    const emu = await startWithSdk({
      COGNITO_EMULATOR_POOL_FILE: DEMO_POOL,
      COGNITO_EMULATOR_STATE_FILE: join(dir, 'state.json'),
    });
    try {
      expect(
        await failure(
          emu.cognito.send(
            new GetClientTokenCommand({ ClientId: mixed.clientId, Secret: mixed.clientSecret }),
          ),
        ),
      ).toEqual({
        name: 'InvalidParameterException',
        status: 400,
        message: "ALLOW_CLIENT_TOKEN_AUTH must be the client's only explicit auth flow",
      });
    } finally {
      await emu.close();
    }
  });
});

describe('the token quota (COGNITO_EMULATOR_TOKEN_RPS) over both ways', () => {
  it('counts GetClientToken with the token endpoint, and answers TooManyRequestsException', async () => {
    const emu = await startWithSdk({
      COGNITO_EMULATOR_POOL_FILE: DEMO_POOL,
      COGNITO_EMULATOR_TOKEN_RPS: '2',
    });
    try {
      const viaApi = () =>
        emu.cognito.send(
          new GetClientTokenCommand({ ClientId: SDK_CALLER.id, Secret: SDK_CALLER.secret }),
        );
      // One window of a second from the first request: two pass, whichever way they come.
      expect((await token(emu, CALLER.id, CALLER.secret)).status).toBe(200);
      await viaApi();
      expect(await failure(viaApi())).toEqual({
        name: 'TooManyRequestsException',
        status: 429,
        message: 'Too many requests: the token quota is exceeded',
      });
      expect((await token(emu, CALLER.id, CALLER.secret)).status).toBe(429);
    } finally {
      await emu.close();
    }
  });
});

describe('GetClientToken during a secret rotation', () => {
  let dir: string;
  let emu: EmulatorWithSdk;
  const env = () => ({
    COGNITO_EMULATOR_POOL_FILE: DEMO_POOL,
    COGNITO_EMULATOR_ADMIN: 'true',
    COGNITO_EMULATOR_STATE_FILE: join(dir, 'state.json'),
    COGNITO_EMULATOR_KEYS_FILE: join(dir, 'keys.json'),
  });
  beforeAll(async () => {
    dir = await tempDir();
    emu = await startWithSdk(env());
  });
  afterAll(() => emu.close());

  const ref = { UserPoolId: POOL_ID, ClientId: TENANT.id };
  const getToken = (secret: string) =>
    emu.cognito.send(new GetClientTokenCommand({ ClientId: TENANT.id, Secret: secret }));
  const claims = { client_id: TENANT.id, scope: READ, token_use: 'access' };
  /** GetClientToken and the token endpoint both issue a token for this secret. */
  const expectAccepted = async (secret: string) => {
    const { ClientAuthenticationResult: result } = await getToken(secret);
    expect(decode(result!.AccessToken!).claims).toMatchObject(claims);
    const endpoint = await token(emu, TENANT.id, secret);
    expect(endpoint.status).toBe(200);
    expect(decode(endpoint.body.access_token as string).claims).toMatchObject(claims);
  };
  /** GetClientToken and the token endpoint both refuse this secret, each in its own shape. */
  const expectRefused = async (secret: string) => {
    expect(await failure(getToken(secret))).toEqual({
      name: 'NotAuthorizedException',
      status: 400,
      message: `Invalid client secret for client ${TENANT.id}.`,
    });
    expect(await token(emu, TENANT.id, secret)).toMatchObject({
      status: 400,
      body: { error: 'invalid_client' },
    });
  };

  it('takes either active secret, refuses a deleted one at once, and keeps that and the pool settings across a restart', async () => {
    const { ClientSecretDescriptor: added } = await emu.cognito.send(
      new AddUserPoolClientSecretCommand(ref),
    );
    const fresh = added!.ClientSecretValue!;
    await expectAccepted(TENANT.secret);
    await expectAccepted(fresh);

    // A pool setting changed beside the secrets: the state file must keep both.
    await emu.cognito.send(
      new UpdateUserPoolCommand({
        UserPoolId: POOL_ID,
        IssuerConfiguration: { Type: 'UPDATED' },
        DeletionProtection: 'ACTIVE',
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      }),
    );
    const [original] = (await emu.cognito.send(new ListUserPoolClientSecretsCommand(ref)))
      .ClientSecrets!;
    await emu.cognito.send(
      new DeleteUserPoolClientSecretCommand({ ...ref, ClientSecretId: original.ClientSecretId }),
    );
    await expectRefused(TENANT.secret);
    await expectAccepted(fresh);

    await emu.close();
    emu = await startWithSdk(env());
    expect(
      (await emu.cognito.send(new DescribeUserPoolCommand({ UserPoolId: POOL_ID }))).UserPool,
    ).toMatchObject({ IssuerConfiguration: { Type: 'UPDATED' }, LambdaConfig: {} });
    expect(
      (await emu.cognito.send(new ListUserPoolClientSecretsCommand(ref))).ClientSecrets,
    ).toEqual([
      {
        ClientSecretId: added!.ClientSecretId,
        ClientSecretCreateDate: added!.ClientSecretCreateDate,
      },
    ]);
    await expectRefused(TENANT.secret);
    await expectAccepted(fresh);
  });
});
