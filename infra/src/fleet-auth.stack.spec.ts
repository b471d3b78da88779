import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AccountPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { loadPool, type Pool } from '../../libs/fleet-auth/src/index.js';
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

beforeAll(async () => {
  definition = await loadPool('libs/fleet-auth/pool.json');
  const app = new App({ analyticsReporting: false, context: await cdkJsonContext() });
  stack = fleetAuthStack(app, definition);
  const callerRole = new Role(stack, 'CallerRole', {
    assumedBy: new AccountPrincipal('123456789012'),
  });
  stack.grantSecretsRead('caller', callerRole);
  template = Template.fromStack(stack);
}, 60_000);

const machineClients = () =>
  definition.clients.filter((c) => c.allowedOAuthFlows.includes('client_credentials'));
const logicalIdOf = (type: string, props: object): string => {
  const ids = Object.keys(template.findResources(type, { Properties: props }));
  expect(ids).toHaveLength(1);
  return ids[0];
};

describe('FleetAuthStack from the shipped definition', () => {
  it('creates one user pool: admin-only sign-up, deletion protection, retained', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasResource('AWS::Cognito::UserPool', {
      Properties: Match.objectLike({
        UserPoolName: 'weather-fleet',
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        DeletionProtection: 'ACTIVE',
        AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'admin_only', Priority: 1 }] },
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
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

  it("keeps each generated client secret in Secrets Manager, straight from the client's attribute", () => {
    const confidential = definition.clients.filter((c) => c.clientSecret !== null);
    template.resourceCountIs('AWS::SecretsManager::Secret', confidential.length);
    for (const name of ['Weather caller', 'Weather admin']) {
      const clientId = logicalIdOf('AWS::Cognito::UserPoolClient', { ClientName: name });
      template.hasResource('AWS::SecretsManager::Secret', {
        Properties: Match.objectLike({
          SecretString: { 'Fn::GetAtt': [clientId, 'ClientSecret'] },
        }),
        DeletionPolicy: 'Retain',
      });
    }
    // GetAtt, not a custom resource: no Lambda reads or logs the secret.
    template.resourceCountIs('AWS::Lambda::Function', 0);
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
    const callerSecret = Object.keys(
      template.findResources('AWS::SecretsManager::Secret', {
        Properties: { SecretString: { 'Fn::GetAtt': [caller, 'ClientSecret'] } },
      }),
    )[0];
    expect(outputs.WeatherCallerSecretArn.Value).toEqual({ Ref: callerSecret });
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
    const secretOf = (name: string) => {
      const client = logicalIdOf('AWS::Cognito::UserPoolClient', { ClientName: name });
      return Object.keys(
        template.findResources('AWS::SecretsManager::Secret', {
          Properties: { SecretString: { 'Fn::GetAtt': [client, 'ClientSecret'] } },
        }),
      )[0];
    };
    const policies = template.findResources('AWS::IAM::Policy');
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
