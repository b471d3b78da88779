import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { readFile } from 'node:fs/promises';
import { parsePool, type PoolDocument } from '../../libs/fleet-auth/src/index.js';
import { fleetAuthStack } from './fleet-auth.app.js';
import { FleetAuthStack } from './fleet-auth.stack.js';

// The options the shipped definition does not use: a custom domain, a pool the stack may
// destroy, seconds as a unit, a URL resource-server identifier, a code-flow client with its
// callback URLs; and what the stack refuses.
// One synthesis (its hook has its own timeout for busy machines); the refusals throw before
// anything is synthesised.
async function demo(): Promise<PoolDocument & { clients: PoolDocument['clients'] }> {
  return JSON.parse(await readFile('libs/fleet-auth/pool.json', 'utf8')) as PoolDocument;
}
const stackOf = (doc: PoolDocument, context: Record<string, unknown> = {}) =>
  fleetAuthStack(
    new App({ analyticsReporting: false, context }),
    parsePool(doc),
    'libs/fleet-auth/pool.json',
  );

let template: Template;

beforeAll(async () => {
  const doc = await demo();
  // The updated issuer, and no trigger.
  doc.userPool = {
    deletionProtection: 'INACTIVE',
    removalPolicy: 'destroy',
    issuerConfiguration: { type: 'UPDATED' },
  };
  doc.domain = {
    customDomain: {
      domainName: 'auth.example.com',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123',
    },
  };
  doc.resourceServers = [
    {
      identifier: 'https://api.example.com',
      name: 'API',
      scopes: [{ name: 'read' }],
    },
  ];
  doc.clients = [
    {
      clientId: 'svc',
      clientSecret: 'dev-only',
      allowedOAuthFlows: ['client_credentials'],
      allowedOAuthScopes: ['https://api.example.com/read'],
      accessTokenValidity: 900,
      tokenValidityUnits: { accessToken: 'seconds' },
    },
    {
      clientId: 'web',
      clientSecret: null,
      allowedOAuthFlows: ['code'],
      allowedOAuthScopes: ['openid', 'https://api.example.com/read'],
      callbackURLs: ['https://app.example.com/callback'],
      logoutURLs: ['https://app.example.com/'],
    },
  ];
  doc.services = { svc: { clients: { OAUTH: 'svc' } } };
  // Every 12 hours (cdk synth -c rotationDays=0.5).
  template = Template.fromStack(stackOf(doc, { rotationDays: '0.5' }));
}, 120_000);

describe('FleetAuthStack options', () => {
  it('deletes the pool and the secrets with the stack when the definition says destroy', () => {
    template.hasResource('AWS::Cognito::UserPool', {
      Properties: Match.objectLike({ DeletionProtection: 'INACTIVE' }),
      DeletionPolicy: 'Delete',
    });
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
  });

  it('serves a custom domain with its certificate and outputs the alias target', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: 'auth.example.com',
      CustomDomainConfig: {
        CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123',
      },
    });
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const [domain] = Object.keys(template.findResources('AWS::Cognito::UserPoolDomain'));
    // Ref of a custom domain is its name: https://auth.example.com/oauth2/token once deployed.
    expect(outputs.TokenUrl.Value).toEqual({
      'Fn::Join': ['', ['https://', { Ref: domain }, '/oauth2/token']],
    });
    expect(outputs.DomainAliasTarget.Value).toEqual({
      'Fn::GetAtt': [domain, 'CloudFrontDistribution'],
    });
  });

  it('writes units as the definition has them, and URL identifiers in scopes', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'https://api.example.com',
      // Cognito requires a description: the scope name stands in for a missing one.
      Scopes: [{ ScopeName: 'read', ScopeDescription: 'read' }],
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'svc',
      AllowedOAuthScopes: ['https://api.example.com/read'],
      AccessTokenValidity: 900,
      TokenValidityUnits: { AccessToken: 'seconds', IdToken: 'hours', RefreshToken: 'days' },
      ExplicitAuthFlows: [],
    });
  });

  it('signs users in for a code-flow client at its callback URLs; a machine client signs no one in', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'web',
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'https://api.example.com/read'],
      CallbackURLs: ['https://app.example.com/callback'],
      LogoutURLs: ['https://app.example.com/'],
      SupportedIdentityProviders: ['COGNITO'],
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'svc',
      SupportedIdentityProviders: Match.absent(),
      CallbackURLs: Match.absent(),
    });
  });

  it('sets the updated issuer and publishes it as the Issuer and JWKS outputs; no trigger, no plan chosen', () => {
    const [pool] = Object.keys(template.findResources('AWS::Cognito::UserPool'));
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      IssuerConfiguration: { Type: 'UPDATED' },
      LambdaConfig: Match.absent(),
      UserPoolTier: Match.absent(),
    });
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const issuer = [
      'https://issuer-cognito-idp.',
      { Ref: 'AWS::Region' },
      '.',
      { Ref: 'AWS::URLSuffix' },
      '/',
      { Ref: pool },
    ];
    expect(outputs.Issuer.Value).toEqual({ 'Fn::Join': ['', issuer] });
    expect(outputs.JwksUri.Value).toEqual({
      'Fn::Join': ['', [...issuer, '/.well-known/jwks.json']],
    });
    // One function: the machine client's rotation.
    template.resourceCountIs('AWS::Lambda::Function', 1);
  });

  it('rotates as often as the rotationDays context says; a replaced secret works as long', () => {
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(12 hours)' },
    });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
  });

  it('refuses a trigger module it cannot find: its path is relative to the definition file', async () => {
    const definition = parsePool(await demo());
    expect(() => new FleetAuthStack(new App(), 'Bad', { definition })).toThrow(
      'userPool.lambdaConfig.preTokenGenerationConfig.module: the path is relative to the definition file; give the stack definitionFile',
    );
  });

  it.each([Duration.hours(3), Duration.minutes(270), Duration.days(1001)])(
    'refuses a rotation interval Secrets Manager does not take: %s',
    async (rotationInterval) => {
      const definition = parsePool(await demo());
      const definitionFile = 'libs/fleet-auth/pool.json';
      expect(
        () =>
          new FleetAuthStack(new App(), 'Bad', { definition, definitionFile, rotationInterval }),
      ).toThrow('rotationInterval: must be whole hours between 4 hours and 1000 days');
    },
  );

  it.each([
    [
      'no domain',
      (d: PoolDocument) => delete d.domain,
      'domain: the token endpoint lives on the pool domain',
    ],
    [
      'a code-flow client without callback URLs',
      (d: PoolDocument) => (d.clients[2].allowedOAuthFlows = ['code']),
      'clients[2].callbackURLs: code and implicit need at least one callback URL',
    ],
    [
      'two client ids with one output name',
      (d: PoolDocument) => d.clients.splice(3, 0, { ...d.clients[0], clientId: 'weather.caller' }),
      'clients[3].clientId: "weather.caller" and "weather-caller" both give the output name WeatherCallerClientId',
    ],
  ])('refuses a definition with %s, naming the field', async (_, edit, message) => {
    const doc = await demo();
    edit(doc);
    expect(() => stackOf(doc)).toThrow(message);
  });
});
