import {
  type CognitoIdentityProviderClient,
  CreateResourceServerCommand,
  type CreateResourceServerCommandInput,
  CreateUserPoolClientCommand,
  type CreateUserPoolClientCommandInput,
  DeleteResourceServerCommand,
  DeleteUserPoolClientCommand,
  DescribeResourceServerCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  ListResourceServersCommand,
  ListUserPoolClientsCommand,
  UpdateResourceServerCommand,
  UpdateUserPoolClientCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startWeatherApi, type WeatherApiHandle } from '../../weather-api/src/bootstrap.js';
import { startEmulator, type StartedEmulator } from '../src/bootstrap.js';
import {
  decode,
  type ErrorCase,
  failure,
  itAnswersEachError,
  POOL_ID,
  sdk,
  tempDir,
  token,
} from './helpers.js';

describe('the control plane through the AWS SDK v3', () => {
  let dir: string;
  let emu: StartedEmulator;
  let api: WeatherApiHandle;
  let cognito: CognitoIdentityProviderClient;
  const env = () => ({
    PORT: '0',
    LOG_LEVEL: 'warn',
    COGNITO_EMULATOR_ADMIN: 'true',
    COGNITO_EMULATOR_STATE_FILE: join(dir, 'state.json'),
    COGNITO_EMULATOR_KEYS_FILE: join(dir, 'keys.json'),
  });

  beforeAll(async () => {
    dir = await tempDir();
    emu = await startEmulator(env());
    cognito = sdk(emu);
    api = await startWeatherApi({ PORT: '0', LOG_LEVEL: 'warn', AUTH_ISSUER: emu.issuer });
  });
  afterAll(async () => {
    cognito.destroy();
    await api.close();
    await emu.close();
  });

  it('provisions a resource server and a client whose tokens weather-api accepts, then retires it', async () => {
    const pool = await cognito.send(new DescribeUserPoolCommand({ UserPoolId: POOL_ID }));
    // The definition's user pool settings, as the CDK stack provisions them.
    expect(pool.UserPool).toMatchObject({
      Id: POOL_ID,
      Name: 'weather-fleet',
      Arn: `arn:aws:cognito-idp:us-east-1:000000000000:userpool/${POOL_ID}`,
      DeletionProtection: 'ACTIVE',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
    expect(pool.UserPool?.CreationDate).toBeInstanceOf(Date);

    const rs = await cognito.send(
      new CreateResourceServerCommand({
        UserPoolId: POOL_ID,
        Identifier: 'reports',
        Name: 'Reports',
        Scopes: [{ ScopeName: 'read', ScopeDescription: 'Read reports' }],
      }),
    );
    expect(rs.ResourceServer).toEqual({
      UserPoolId: POOL_ID,
      Identifier: 'reports',
      Name: 'Reports',
      Scopes: [{ ScopeName: 'read', ScopeDescription: 'Read reports' }],
    });

    const created = await cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: POOL_ID,
        ClientName: 'reporting job',
        GenerateSecret: true,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthScopes: ['weather-api/forecast.read', 'reports/read'],
        AccessTokenValidity: 10,
        TokenValidityUnits: { AccessToken: 'minutes' },
        PreventUserExistenceErrors: 'ENABLED',
        EnableTokenRevocation: true,
      }),
    );
    const client = created.UserPoolClient!;
    expect(client.ClientId).toMatch(/^[a-z0-9]{26}$/);
    expect(client.ClientSecret).toMatch(/^[a-z0-9]{51}$/);
    expect(client).toMatchObject({
      ClientName: 'reporting job',
      AccessTokenValidity: 10,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'hours', RefreshToken: 'days' },
      IdTokenValidity: 1,
      RefreshTokenValidity: 30,
      AllowedOAuthFlowsUserPoolClient: true,
      PreventUserExistenceErrors: 'ENABLED',
    });
    const id = client.ClientId!;
    const secret = client.ClientSecret!;

    // Usable at once, at the token endpoint and at weather-api.
    const first = await token(emu, id, secret, 'weather-api/forecast.read');
    expect(first.status).toBe(200);
    expect(first.body.expires_in).toBe(600);
    const forecast = await fetch(`${api.url}/weatherforecast`, {
      headers: { Authorization: `Bearer ${first.body.access_token as string}` },
    });
    expect(forecast.status).toBe(200);

    // Described with its secret, and listed.
    const described = await cognito.send(
      new DescribeUserPoolClientCommand({ UserPoolId: POOL_ID, ClientId: id }),
    );
    expect(described.UserPoolClient?.ClientSecret).toBe(secret);
    expect(described.UserPoolClient?.AllowedOAuthScopes).toEqual([
      'weather-api/forecast.read',
      'reports/read',
    ]);
    const listed = await cognito.send(
      new ListUserPoolClientsCommand({ UserPoolId: POOL_ID, MaxResults: 60 }),
    );
    expect(listed.UserPoolClients).toContainEqual({
      ClientId: id,
      UserPoolId: POOL_ID,
      ClientName: 'reporting job',
    });

    // New scopes: the next token carries them.
    await cognito.send(
      new UpdateUserPoolClientCommand({
        UserPoolId: POOL_ID,
        ClientId: id,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthScopes: ['weather-api/forecast.write'],
      }),
    );
    const updated = await token(emu, id, secret);
    expect(decode(updated.body.access_token as string).claims.scope).toBe(
      'weather-api/forecast.write',
    );
    // As Cognito, an update resets what it leaves out: validity back to 1 hour.
    expect(updated.body.expires_in).toBe(3600);

    await cognito.send(new DeleteUserPoolClientCommand({ UserPoolId: POOL_ID, ClientId: id }));
    const gone = await token(emu, id, secret);
    expect(gone).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
  });

  it("describes a definition client with the definition's own validities and units", async () => {
    const { UserPoolClient: caller } = await cognito.send(
      new DescribeUserPoolClientCommand({ UserPoolId: POOL_ID, ClientId: 'weather-caller' }),
    );
    expect(caller).toMatchObject({
      ClientSecret: 'weather-caller-dev-secret',
      AccessTokenValidity: 60,
      IdTokenValidity: 60,
      RefreshTokenValidity: 30,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
      EnableTokenRevocation: true,
      PreventUserExistenceErrors: 'ENABLED',
    });
  });

  it('lists with Cognito pagination', async () => {
    const seen: string[] = [];
    let next: string | undefined;
    do {
      const page = await cognito.send(
        new ListUserPoolClientsCommand({ UserPoolId: POOL_ID, MaxResults: 2, NextToken: next }),
      );
      expect(page.UserPoolClients!.length).toBeLessThanOrEqual(2);
      seen.push(...page.UserPoolClients!.map((c) => c.ClientId!));
      next = page.NextToken;
    } while (next);
    expect(seen).toEqual(
      expect.arrayContaining(['weather-caller', 'weather-admin', 'weather-web']),
    );
    expect(new Set(seen).size).toBe(seen.length);

    const servers = await cognito.send(
      new ListResourceServersCommand({ UserPoolId: POOL_ID, MaxResults: 1 }),
    );
    expect(servers.ResourceServers).toHaveLength(1);
    expect(servers.NextToken).toEqual(expect.any(String));
  });

  it('updates and deletes resource servers; scopes that go leave the clients', async () => {
    await cognito.send(
      new CreateResourceServerCommand({
        UserPoolId: POOL_ID,
        Identifier: 'billing',
        Name: 'Billing',
        Scopes: [
          { ScopeName: 'read', ScopeDescription: 'Read' },
          { ScopeName: 'write', ScopeDescription: 'Write' },
        ],
      }),
    );
    const { UserPoolClient: c } = await cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: POOL_ID,
        ClientName: 'biller',
        GenerateSecret: true,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthScopes: ['billing/read', 'billing/write'],
      }),
    );
    await cognito.send(
      new UpdateResourceServerCommand({
        UserPoolId: POOL_ID,
        Identifier: 'billing',
        Name: 'Billing v2',
        Scopes: [{ ScopeName: 'read', ScopeDescription: 'Read' }],
      }),
    );
    const described = await cognito.send(
      new DescribeResourceServerCommand({ UserPoolId: POOL_ID, Identifier: 'billing' }),
    );
    expect(described.ResourceServer?.Name).toBe('Billing v2');
    expect(
      decode((await token(emu, c!.ClientId!, c!.ClientSecret!)).body.access_token as string).claims
        .scope,
    ).toBe('billing/read');
    await cognito.send(
      new DeleteResourceServerCommand({ UserPoolId: POOL_ID, Identifier: 'billing' }),
    );
    expect(await token(emu, c!.ClientId!, c!.ClientSecret!)).toMatchObject({
      status: 400,
      body: { error: 'invalid_scope' },
    });
  });

  it('keeps what it created across a restart, with a state file', async () => {
    const { UserPoolClient: c } = await cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: POOL_ID,
        ClientName: 'survivor',
        GenerateSecret: true,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthScopes: ['weather-api/forecast.read'],
      }),
    );
    await cognito.send(
      new DeleteUserPoolClientCommand({ UserPoolId: POOL_ID, ClientId: 'weather-admin' }),
    );
    const again = await startEmulator(env());
    try {
      expect((await token(again, c!.ClientId!, c!.ClientSecret!)).status).toBe(200);
      expect((await token(again, 'weather-admin', 'weather-admin-dev-secret')).body.error).toBe(
        'invalid_client',
      );
      expect((await token(again, 'weather-caller', 'weather-caller-dev-secret')).status).toBe(200);
    } finally {
      await again.close();
    }
  });

  it('keeps AllowedOAuthFlows without AllowedOAuthFlowsUserPoolClient, as Cognito: its tokens are invalid_grant', async () => {
    const flows = {
      UserPoolId: POOL_ID,
      ClientName: 'half configured',
      GenerateSecret: true,
      AllowedOAuthFlows: ['client_credentials' as const],
      AllowedOAuthScopes: ['weather-api/forecast.read'],
      // Left out: a validity takes Cognito's default (1 hour) in the unit given.
      TokenValidityUnits: { AccessToken: 'minutes' as const },
    };
    const { UserPoolClient: c } = await cognito.send(new CreateUserPoolClientCommand(flows));
    expect(c).toMatchObject({
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthFlowsUserPoolClient: false,
      AccessTokenValidity: 60,
      TokenValidityUnits: { AccessToken: 'minutes' },
    });
    expect(await token(emu, c!.ClientId!, c!.ClientSecret!)).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
    await cognito.send(
      new UpdateUserPoolClientCommand({
        ...flows,
        ClientId: c!.ClientId,
        AllowedOAuthFlowsUserPoolClient: true,
      }),
    );
    const fixed = await token(emu, c!.ClientId!, c!.ClientSecret!);
    expect(fixed).toMatchObject({ status: 200, body: { expires_in: 3600 } });
  });

  describe('answers every error as Cognito, a 4xx with its __type', () => {
    const createClient = (input: Partial<CreateUserPoolClientCommandInput>) => () =>
      cognito.send(
        new CreateUserPoolClientCommand({ UserPoolId: POOL_ID, ClientName: 'x', ...input }),
      );
    const m2m: Partial<CreateUserPoolClientCommandInput> = {
      GenerateSecret: true,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['weather-api/forecast.read'],
    };
    const createServer = (input: Partial<CreateResourceServerCommandInput>) => () =>
      cognito.send(
        new CreateResourceServerCommand({
          UserPoolId: POOL_ID,
          Identifier: 'x',
          Name: 'x',
          ...input,
        }),
      );
    // [case, call, __type, the message where AWS's own is known]
    const cases: ErrorCase[] = [
      [
        'another pool',
        () => cognito.send(new DescribeUserPoolCommand({ UserPoolId: 'eu-west-1_Other' })),
        'ResourceNotFoundException',
        'User pool eu-west-1_Other does not exist.',
      ],
      [
        'an unknown client',
        () =>
          cognito.send(
            new DescribeUserPoolClientCommand({ UserPoolId: POOL_ID, ClientId: 'nosuchclient' }),
          ),
        'ResourceNotFoundException',
        'User pool client nosuchclient does not exist.',
      ],
      [
        'an unknown resource server',
        () =>
          cognito.send(
            new DescribeResourceServerCommand({ UserPoolId: POOL_ID, Identifier: 'nothing' }),
          ),
        'ResourceNotFoundException',
      ],
      [
        'updating an unknown resource server',
        () =>
          cognito.send(
            new UpdateResourceServerCommand({
              UserPoolId: POOL_ID,
              Identifier: 'nothing',
              Name: 'x',
            }),
          ),
        'ResourceNotFoundException',
      ],
      [
        'deleting an unknown client',
        () =>
          cognito.send(
            new DeleteUserPoolClientCommand({ UserPoolId: POOL_ID, ClientId: 'nosuchclient' }),
          ),
        'ResourceNotFoundException',
      ],
      [
        'a duplicate resource server',
        createServer({ Identifier: 'weather-api', Name: 'again' }),
        'InvalidParameterException',
        `${POOL_ID} already has identifier weather-api`,
      ],
      [
        'duplicate scope names',
        createServer({
          Identifier: 'dup',
          Scopes: [
            { ScopeName: 'a', ScopeDescription: 'a' },
            { ScopeName: 'a', ScopeDescription: 'b' },
          ],
        }),
        'InvalidParameterException',
      ],
      [
        'a scope name with "/"',
        createServer({ Scopes: [{ ScopeName: 'a/b', ScopeDescription: 'a' }] }),
        'InvalidParameterException',
      ],
      [
        'a client name with a "!"',
        createClient({ ClientName: 'bad!' }),
        'InvalidParameterException',
      ],
      [
        'an unknown scope',
        createClient({ ...m2m, AllowedOAuthScopes: ['weather-api/forecast.delete'] }),
        'ScopeDoesNotExistException',
        'Invalid scope requested: weather-api/forecast.delete',
      ],
      [
        'client credentials without a secret',
        createClient({ ...m2m, GenerateSecret: false }),
        'InvalidOAuthFlowException',
        'client_credentials flow can not be selected if client does not have a client secret.',
      ],
      [
        'client credentials with the code flow',
        createClient({
          ...m2m,
          AllowedOAuthFlows: ['client_credentials', 'code'],
          CallbackURLs: ['https://example.com/cb'],
        }),
        'InvalidOAuthFlowException',
        'client_credentials flow can not be selected along with code flow or implicit flow.',
      ],
      [
        'client credentials with openid',
        createClient({ ...m2m, AllowedOAuthScopes: ['weather-api/forecast.read', 'openid'] }),
        'InvalidOAuthFlowException',
        'openid is not supported with client_credentials flow',
      ],
      [
        'the code flow without callback URLs',
        createClient({
          AllowedOAuthFlows: ['code'],
          AllowedOAuthFlowsUserPoolClient: true,
          AllowedOAuthScopes: ['openid'],
        }),
        'InvalidParameterException',
      ],
      [
        'an access token valid for 2 days',
        createClient({ AccessTokenValidity: 2, TokenValidityUnits: { AccessToken: 'days' } }),
        'InvalidParameterException',
      ],
      [
        'an ID token valid for 1 minute',
        createClient({ IdTokenValidity: 1, TokenValidityUnits: { IdToken: 'minutes' } }),
        'InvalidParameterException',
      ],
      [
        'a refresh token valid for 11 years',
        createClient({ RefreshTokenValidity: 4016 }),
        'InvalidParameterException',
      ],
      [
        'an unknown OAuth flow',
        createClient({ AllowedOAuthFlows: ['code', 'token' as never] }),
        'InvalidParameterException',
        "1 validation error detected: Value '[code, token]' at 'allowedOAuthFlows' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [implicit, client_credentials, code]]",
      ],
      [
        'an access token outliving its refresh token',
        createClient({
          AccessTokenValidity: 2,
          RefreshTokenValidity: 1,
          TokenValidityUnits: { AccessToken: 'hours', RefreshToken: 'hours' },
        }),
        'InvalidParameterException',
      ],
      [
        'a callback URL that is no URL',
        createClient({
          AllowedOAuthFlows: ['code'],
          AllowedOAuthFlowsUserPoolClient: true,
          AllowedOAuthScopes: ['openid'],
          CallbackURLs: ['not a url'],
        }),
        'InvalidParameterException',
      ],
      [
        'an unknown auth flow',
        createClient({ ExplicitAuthFlows: ['ALLOW_MAGIC' as never] }),
        'InvalidParameterException',
      ],
      [
        'MaxResults 0',
        () => cognito.send(new ListUserPoolClientsCommand({ UserPoolId: POOL_ID, MaxResults: 0 })),
        'InvalidParameterException',
      ],
      [
        'a forged NextToken',
        () =>
          cognito.send(
            new ListUserPoolClientsCommand({ UserPoolId: POOL_ID, NextToken: 'bm9wZQ' }),
          ),
        'InvalidParameterException',
      ],
      [
        'ListResourceServers without MaxResults',
        () => cognito.send(new ListResourceServersCommand({ UserPoolId: POOL_ID })),
        'InvalidParameterException',
      ],
      [
        'a missing UserPoolId',
        () => cognito.send(new DescribeUserPoolCommand({} as never)),
        'InvalidParameterException',
      ],
    ];
    itAnswersEachError(cases);

    it('answers a member of the wrong JSON type with SerializationException', async () => {
      const res = await fetch(`${emu.url}/`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-amz-json-1.1',
          'X-Amz-Target': 'AWSCognitoIdentityProviderService.CreateUserPoolClient',
        },
        body: JSON.stringify({ UserPoolId: POOL_ID, ClientName: 42 }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ __type: 'SerializationException' });
    });

    it('names every violated constraint in one message, as AWS validation does', async () => {
      const err = await failure(
        cognito.send(
          new CreateUserPoolClientCommand({
            UserPoolId: POOL_ID,
            ClientName: '',
            AccessTokenValidity: 0,
          }),
        ),
      );
      expect(err.message).toMatch(/^2 validation errors detected: /);
      expect(err.message).toContain("at 'clientName'");
      expect(err.message).toContain("at 'accessTokenValidity'");
    });
  });
});

describe('the control plane under large and failing requests', () => {
  it('takes a resource server with 100 long-described scopes, and bounds the body all the same', async () => {
    const dir = await tempDir();
    const emu = await startEmulator({
      PORT: '0',
      LOG_LEVEL: 'fatal',
      COGNITO_EMULATOR_ADMIN: 'true',
      COGNITO_EMULATOR_STATE_FILE: join(dir, 'state', 'state.json'),
    });
    const cognito = sdk(emu);
    try {
      const scopes = Array.from({ length: 100 }, (_, i) => ({
        ScopeName: `scope.${i}`,
        ScopeDescription: 'd'.repeat(250),
      }));
      const created = await cognito.send(
        new CreateResourceServerCommand({
          UserPoolId: POOL_ID,
          Identifier: 'big',
          Name: 'Big',
          Scopes: scopes,
        }),
      );
      expect(created.ResourceServer?.Scopes).toHaveLength(100);
      const huge = await fetch(`${emu.url}/`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-amz-json-1.1',
          'X-Amz-Target': 'AWSCognitoIdentityProviderService.DescribeUserPool',
        },
        body: JSON.stringify({ UserPoolId: POOL_ID, padding: 'x'.repeat(300 * 1024) }),
      });
      expect(huge.status).toBe(413);
      expect(await huge.json()).toEqual({
        __type: 'RequestEntityTooLargeException',
        message: 'request body larger than 256 KiB',
      });

      // The state file's folder replaced by a file: the change cannot be saved, and the
      // answer is AWS's InternalErrorException, not a client error.
      await rm(join(dir, 'state'), { recursive: true, force: true });
      await writeFile(join(dir, 'state'), '');
      const err = await failure(
        cognito.send(new DeleteResourceServerCommand({ UserPoolId: POOL_ID, Identifier: 'big' })),
      );
      expect(err).toMatchObject({ name: 'InternalErrorException', status: 500 });
    } finally {
      cognito.destroy();
      await emu.close();
    }
  });
});

describe('the control plane is off without COGNITO_EMULATOR_ADMIN', () => {
  it('answers its operations with UnknownOperationException', async () => {
    const emu = await startEmulator({ PORT: '0', LOG_LEVEL: 'warn' });
    const cognito = sdk(emu);
    try {
      const err = await failure(cognito.send(new DescribeUserPoolCommand({ UserPoolId: POOL_ID })));
      expect(err).toMatchObject({ name: 'UnknownOperationException', status: 400 });
    } finally {
      cognito.destroy();
      await emu.close();
    }
  });
});
