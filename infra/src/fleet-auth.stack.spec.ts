import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AccountPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadPool, type Pool, triggerModulePath } from '../../libs/fleet-auth/src/index.js';
import { cdkJsonContext, fleetAuthStack } from './fleet-auth.app.js';
import type { FleetAuthStack } from './fleet-auth.stack.js';
import { clientOutputKeys } from './output-keys.js';

// One synthesis for the whole file (about a second; more on a busy machine, hence the hook's
// own timeout): the shipped definition, as cdk synth builds it, plus a service role that the
// grant helper gives the caller's secrets. The demo fleet's parts are named; what
// `npm run new:service` adds to the definition is counted, not named.
let definition: Pool;
let stack: FleetAuthStack;
let template: Template;
/** Where the synthesised assembly keeps the bundled Lambda code. */
let assemblyDir: string;

beforeAll(async () => {
  definition = await loadPool('libs/fleet-auth/pool.json');
  const app = new App({ analyticsReporting: false, context: await cdkJsonContext() });
  stack = fleetAuthStack(app, definition, 'libs/fleet-auth/pool.json');
  const callerRole = new Role(stack, 'CallerRole', {
    assumedBy: new AccountPrincipal('123456789012'),
  });
  stack.grantSecretsRead('caller', callerRole);
  template = Template.fromStack(stack);
  assemblyDir = app.synth().directory;
}, 120_000);

const machineClients = () =>
  definition.clients.filter(
    (c) =>
      c.allowedOAuthFlows.includes('client_credentials') ||
      (c.explicitAuthFlows as readonly string[]).includes('ALLOW_CLIENT_TOKEN_AUTH'),
  );
const logicalIdOf = (type: string, props: object): string => {
  const ids = Object.keys(template.findResources(type, { Properties: props }));
  expect(ids).toHaveLength(1);
  return ids[0];
};
const clientNamed = (name: string) =>
  logicalIdOf('AWS::Cognito::UserPoolClient', { ClientName: name });
/** The secret callers of the app client `client` (a logical id) read: its JSON, from CloudFormation. */
const secretJson = (client: string) => ({
  'Fn::Join': [
    '',
    [
      '{"clientId":"',
      { Ref: client },
      '","clientSecret":"',
      { 'Fn::GetAtt': [client, 'ClientSecret'] },
      '"}',
    ],
  ],
});
const secretOf = (name: string) =>
  logicalIdOf('AWS::SecretsManager::Secret', { SecretString: secretJson(clientNamed(name)) });
type Resource = { Properties: Record<string, unknown>; DependsOn?: string[] };
type Handler = (event: unknown) => unknown;
/** The bundled code of the function `fn` in the synthesised assembly. */
const bundlePath = (fn: Resource) =>
  join(
    assemblyDir,
    `asset.${(fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '')}`,
    'index.js',
  );
/** The rotation of the client named `name`: its function, role policy, permission and schedule. */
function rotationOf(name: string) {
  const secret = secretOf(name);
  const [[fnId, fn]] = Object.entries(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { SECRET_ARN: { Ref: secret } } } },
    }),
  ) as [string, Resource][];
  const role = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  const policies = Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }),
  ) as Resource[];
  const [permission] = Object.entries(
    template.findResources('AWS::Lambda::Permission', {
      Properties: { FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] } },
    }),
  ) as [string, Resource][];
  const schedules = Object.values(
    template.findResources('AWS::SecretsManager::RotationSchedule', {
      Properties: { SecretId: { Ref: secret } },
    }),
  ) as Resource[];
  return { secret, fnId, fn, role, policies, permission, schedules };
}

describe('FleetAuthStack from the shipped definition', () => {
  it('creates one user pool: admin-only sign-up, deletion protection, retained', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasResource('AWS::Cognito::UserPool', {
      Properties: Match.objectLike({
        UserPoolName: 'weather-fleet',
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        DeletionProtection: 'ACTIVE',
        AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'admin_only', Priority: 1 }] },
        // userPool.issuerConfiguration.type, as the definition says it.
        IssuerConfiguration: { Type: 'ORIGINAL' },
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('wires the V3_0 pre token generation trigger to a function of its own, on the Essentials plan it needs', () => {
    const trigger = logicalIdOf('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Pre token generation'),
    });
    const pool = logicalIdOf('AWS::Cognito::UserPool', { UserPoolName: 'weather-fleet' });
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'ESSENTIALS',
      LambdaConfig: {
        PreTokenGenerationConfig: {
          LambdaArn: { 'Fn::GetAtt': [trigger, 'Arn'] },
          LambdaVersion: 'V3_0',
        },
      },
    });
    // Cognito may invoke it for this pool only; Cognito waits 5 s for a trigger.
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [trigger, 'Arn'] },
      Principal: 'cognito-idp.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [pool, 'Arn'] },
    });
    const fn = template.toJSON().Resources[trigger] as Resource;
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Timeout: 5 });
    expect(fn.Properties.Environment).toBeUndefined();
    // Its role may write its logs, and nothing else.
    const role = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }),
    ) as Resource[];
    expect(
      (policy.Properties.PolicyDocument as { Statement: { Action: string[] }[] }).Statement.map(
        (st) => st.Action,
      ),
    ).toEqual([['logs:CreateLogStream', 'logs:PutLogEvents']]);
  });

  it('deploys the very trigger module the emulator runs: the bundle answers each event as the module does', async () => {
    const trigger = logicalIdOf('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Pre token generation'),
    });
    const fn = template.toJSON().Resources[trigger] as Resource;
    const { module } = definition.userPool.lambdaConfig!.preTokenGenerationConfig!;
    const original = (await import(
      pathToFileURL(triggerModulePath('libs/fleet-auth/pool.json', module)).href
    )) as { handler: Handler };
    const bundled = createRequire(import.meta.url)(bundlePath(fn)) as { handler: Handler };
    const event = (
      clientMetadata?: Record<string, string>,
      triggerSource = 'TokenGeneration_ClientCredentials',
    ) => ({
      version: '3',
      triggerSource,
      region: 'eu-west-1',
      userPoolId: 'eu-west-1_AbCdEf123',
      callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'abc' },
      request: { scopes: ['weather-api/forecast.read'], ...(clientMetadata && { clientMetadata }) },
      response: { claimsAndScopeOverrideDetails: null },
    });
    const outcome = (handler: Handler, e: ReturnType<typeof event>) =>
      Promise.resolve()
        .then(() => handler(structuredClone(e)))
        .then(
          (answer) => ({ answer }),
          (error: Error) => ({ error: error.message }),
        );
    const cases = [
      event({ tenant_id: 'acme' }),
      event(),
      event({ tenant_id: 'not a tenant!' }),
      event({ tenant_id: 'acme' }, 'TokenGeneration_Authentication'),
    ];
    const fromBundle = await Promise.all(cases.map((e) => outcome(bundled.handler, e)));
    expect(fromBundle).toEqual(await Promise.all(cases.map((e) => outcome(original.handler, e))));
    // And what the module does, so the comparison cannot pass on two empty answers.
    expect(fromBundle[0]).toMatchObject({
      answer: {
        response: {
          claimsAndScopeOverrideDetails: {
            accessTokenGeneration: { claimsToAddOrOverride: { tenant_id: 'acme' } },
          },
        },
      },
    });
    expect(fromBundle[2]).toEqual({ error: expect.stringContaining('tenant_id') });
  });

  it('creates the domain with the definition prefix', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: 'weather-fleet-example',
      UserPoolId: { Ref: Match.anyValue() },
    });
  });

  it('creates one resource server per definition server, with exactly its scopes', () => {
    template.resourceCountIs(
      'AWS::Cognito::UserPoolResourceServer',
      definition.resourceServers.length,
    );
    for (const rs of definition.resourceServers) {
      template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
        Identifier: rs.identifier,
        Name: rs.name,
        Scopes: rs.scopes.map((s) => ({ ScopeName: s.name, ScopeDescription: s.description })),
      });
    }
  });

  it('creates machine clients with client_credentials only, a secret, scopes, validity and units', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolClient', definition.clients.length);
    expect(machineClients().map((c) => c.clientId)).toEqual(
      expect.arrayContaining(['weather-caller', 'weather-admin']),
    );
    const resourceServerId = logicalIdOf('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'weather-api',
    });
    for (const [name, scopes] of [
      ['Weather caller', ['weather-api/forecast.read']],
      ['Weather admin', ['weather-api/forecast.read', 'weather-api/forecast.write']],
    ] as const) {
      template.hasResource('AWS::Cognito::UserPoolClient', {
        Properties: {
          UserPoolId: { Ref: Match.anyValue() },
          ClientName: name,
          AllowedOAuthFlows: ['client_credentials'],
          AllowedOAuthFlowsUserPoolClient: true,
          GenerateSecret: true,
          AllowedOAuthScopes: scopes,
          ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
          AccessTokenValidity: 60,
          IdTokenValidity: 60,
          RefreshTokenValidity: 30,
          TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
          EnableTokenRevocation: true,
          PreventUserExistenceErrors: 'ENABLED',
        },
        // Its scopes must exist before the client names them.
        DependsOn: [resourceServerId],
      });
    }
  });

  it('creates the public user-flow client without a secret or OAuth flows', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'Weather web',
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: false,
      AllowedOAuthFlows: Match.absent(),
      AllowedOAuthScopes: Match.absent(),
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    });
  });

  it('creates the GetClientToken client: ALLOW_CLIENT_TOKEN_AUTH its only flow, a secret, its scopes, no OAuth flow', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'Weather SDK caller',
      GenerateSecret: true,
      ExplicitAuthFlows: ['ALLOW_CLIENT_TOKEN_AUTH'],
      AllowedOAuthFlowsUserPoolClient: false,
      AllowedOAuthFlows: Match.absent(),
      AllowedOAuthScopes: ['weather-api/forecast.read'],
    });
    // Its rotation tests a new secret the only way the client may use one: GetClientToken.
    const { fn } = rotationOf('Weather SDK caller');
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(variables.SECRET_CHECK).toBe('api');
    expect(variables.TOKEN_URL).toBeUndefined();
    // A client with both machine flows is tested at the token endpoint.
    const tenant = rotationOf('Weather tenant caller').fn.Properties.Environment as {
      Variables: Record<string, unknown>;
    };
    expect(tenant.Variables.SECRET_CHECK).toBe('token-endpoint');
  });

  it("keeps each generated client secret in Secrets Manager as the client's JSON, straight from its attributes", () => {
    const confidential = definition.clients.filter((c) => c.clientSecret !== null);
    template.resourceCountIs('AWS::SecretsManager::Secret', confidential.length);
    for (const name of ['Weather caller', 'Weather admin']) {
      template.hasResource('AWS::SecretsManager::Secret', {
        Properties: Match.objectLike({ SecretString: secretJson(clientNamed(name)) }),
        DeletionPolicy: 'Retain',
      });
    }
    // GetAtt, not a custom resource: the only functions are the rotation functions and the trigger.
    template.resourceCountIs('AWS::Lambda::Function', machineClients().length + 1);
  });

  it('rotates each machine secret with a function of its own, every 30 days, tested at the token endpoint', () => {
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', machineClients().length);
    const domain = logicalIdOf('AWS::Cognito::UserPoolDomain', { Domain: 'weather-fleet-example' });
    const pool = logicalIdOf('AWS::Cognito::UserPool', { UserPoolName: 'weather-fleet' });
    for (const name of ['Weather caller', 'Weather admin']) {
      const { secret, fnId, fn, permission, schedules } = rotationOf(name);
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        Architectures: ['arm64'],
        Timeout: 90,
        Environment: {
          Variables: {
            USER_POOL_ID: { Ref: pool },
            CLIENT_ID: { Ref: clientNamed(name) },
            SECRET_ARN: { Ref: secret },
            SECRET_CHECK: 'token-endpoint',
            TOKEN_URL: {
              'Fn::Join': [
                '',
                [
                  'https://',
                  { Ref: domain },
                  '.auth.',
                  { Ref: 'AWS::Region' },
                  '.amazoncognito.com/oauth2/token',
                ],
              ],
            },
          },
        },
      });
      // Secrets Manager may invoke it, for this secret of this account only.
      expect(permission[1].Properties).toEqual({
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
        Principal: 'secretsmanager.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
        SourceArn: { Ref: secret },
      });
      expect(schedules).toEqual([
        {
          Type: 'AWS::SecretsManager::RotationSchedule',
          Properties: {
            SecretId: { Ref: secret },
            RotationLambdaARN: { 'Fn::GetAtt': [fnId, 'Arn'] },
            RotationRules: { ScheduleExpression: 'rate(30 days)' },
            // A deploy never rotates.
            RotateImmediatelyOnUpdate: false,
          },
          DependsOn: [permission[0]],
        },
      ]);
    }
  });

  it('gives each rotation function exactly its IAM: that pool, that secret, its own log group', () => {
    const pool = logicalIdOf('AWS::Cognito::UserPool', { UserPoolName: 'weather-fleet' });
    for (const name of ['Weather caller', 'Weather admin']) {
      const { secret, fn, role, policies } = rotationOf(name);
      const logGroup = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      // One policy, and no managed policy (no AWSLambdaBasicExecutionRole: logs:* on *).
      expect(policies).toHaveLength(1);
      expect(template.toJSON().Resources[role].Properties.ManagedPolicyArns).toBeUndefined();
      const statements = (
        policies[0].Properties.PolicyDocument as { Statement: Record<string, unknown>[] }
      ).Statement;
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: [
            'cognito-idp:AddUserPoolClientSecret',
            'cognito-idp:DeleteUserPoolClientSecret',
            'cognito-idp:ListUserPoolClientSecrets',
          ],
          Resource: { 'Fn::GetAtt': [pool, 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: [
            'secretsmanager:DescribeSecret',
            'secretsmanager:GetSecretValue',
            'secretsmanager:PutSecretValue',
            'secretsmanager:UpdateSecretVersionStage',
          ],
          Resource: { Ref: secret },
        },
      ]);
    }
  });

  it('deploys the rotation module itself: the bundle reads the same environment and refuses what is not a rotation', async () => {
    const { fn } = rotationOf('Weather caller');
    const bundle = bundlePath(fn);
    const load = createRequire(import.meta.url);
    const saved = { ...process.env };
    try {
      for (const name of ['USER_POOL_ID', 'CLIENT_ID', 'SECRET_ARN', 'TOKEN_URL']) {
        delete process.env[name];
      }
      // Cold start with no configuration: the module's own message, naming the variable.
      expect(() => load(bundle) as unknown).toThrow('USER_POOL_ID is required');
      delete load.cache[load.resolve(bundle)];
      Object.assign(process.env, {
        USER_POOL_ID: 'eu-west-1_AbCdEf123',
        CLIENT_ID: 'abc',
        SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf',
        TOKEN_URL: 'https://example.invalid/oauth2/token',
        AWS_REGION: 'eu-west-1',
      });
      const { handler } = load(bundle) as { handler: (event: unknown) => Promise<void> };
      await expect(handler({ hello: 'world' })).rejects.toThrow(
        'not a Secrets Manager rotation event',
      );
    } finally {
      process.env = saved;
    }
  });

  it('outputs the token URL, issuer, JWKS URI, pool id and each client id and secret ARN', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const demo = [
      'Issuer',
      'JwksUri',
      'TokenUrl',
      'UserPoolId',
      'WeatherAdminClientId',
      'WeatherAdminSecretArn',
      'WeatherCallerClientId',
      'WeatherCallerSecretArn',
      'WeatherWebClientId',
    ];
    // Beyond the demo's: a client id and, with a secret, a secret ARN per other client.
    const others = definition.clients
      .filter((c) => !['weather-caller', 'weather-admin', 'weather-web'].includes(c.clientId))
      .flatMap((c) => {
        const keys = clientOutputKeys(c.clientId);
        return c.clientSecret === null ? [keys.clientId] : [keys.clientId, keys.secretArn];
      });
    expect(Object.keys(outputs).sort()).toEqual([...demo, ...others].sort());
    const pool = logicalIdOf('AWS::Cognito::UserPool', { UserPoolName: 'weather-fleet' });
    const domain = logicalIdOf('AWS::Cognito::UserPoolDomain', {
      Domain: 'weather-fleet-example',
    });
    const region = { Ref: 'AWS::Region' };
    const issuer = [
      'https://cognito-idp.',
      region,
      '.',
      { Ref: 'AWS::URLSuffix' },
      '/',
      { Ref: pool },
    ];
    expect(outputs.TokenUrl.Value).toEqual({
      'Fn::Join': [
        '',
        ['https://', { Ref: domain }, '.auth.', region, '.amazoncognito.com/oauth2/token'],
      ],
    });
    expect(outputs.Issuer.Value).toEqual({ 'Fn::Join': ['', issuer] });
    expect(outputs.JwksUri.Value).toEqual({
      'Fn::Join': ['', [...issuer, '/.well-known/jwks.json']],
    });
    expect(outputs.UserPoolId.Value).toEqual({ Ref: pool });
    const caller = logicalIdOf('AWS::Cognito::UserPoolClient', { ClientName: 'Weather caller' });
    expect(outputs.WeatherCallerClientId.Value).toEqual({ Ref: caller });
    expect(outputs.WeatherCallerSecretArn.Value).toEqual({ Ref: secretOf('Weather caller') });
  });

  it('puts no secret value in any output', () => {
    const outputs = JSON.stringify(template.toJSON().Outputs);
    // The attribute as a value (a client named "...-client" gives an output key "...ClientSecretArn").
    expect(outputs).not.toContain('"ClientSecret"');
    expect(outputs).not.toContain('SecretString');
    expect(outputs).not.toContain('resolve:secretsmanager');
    // Nor the emulator's dev secrets anywhere in the template.
    const all = JSON.stringify(template.toJSON());
    for (const c of definition.clients)
      if (c.clientSecret) expect(all).not.toContain(c.clientSecret);
  });

  it("grants a service's role read access to its own client secrets only", () => {
    const callerRole = logicalIdOf('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { AWS: Match.anyValue() } })],
      }),
    });
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: callerRole }] },
    });
    expect(Object.keys(policies)).toHaveLength(1);
    const [policy] = Object.values(policies) as {
      Properties: { PolicyDocument: { Statement: { Action: string[]; Resource: unknown }[] } };
    }[];
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements.map((s) => s.Action)).toEqual([
      ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
    ]);
    expect(statements[0].Resource).toEqual(
      expect.arrayContaining([
        { Ref: secretOf('Weather caller') },
        { Ref: secretOf('Weather admin') },
      ]),
    );
    expect(statements[0].Resource).toHaveLength(2);
    expect(() => stack.grantSecretsRead('weather-api', new AccountPrincipal('1'))).toThrow(
      'services.weather-api.clients: the service uses no client',
    );
    expect(() => stack.grantSecretsRead('billing', new AccountPrincipal('1'))).toThrow(
      'no service "billing"',
    );
  });
});
