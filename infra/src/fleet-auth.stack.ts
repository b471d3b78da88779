import { Aws, CfnOutput, RemovalPolicy, SecretValue, Stack, type StackProps } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AccountRecovery,
  CfnUserPoolClient,
  ResourceServerScope,
  UserPool,
  UserPoolDomain,
  type UserPoolResourceServer,
} from 'aws-cdk-lib/aws-cognito';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { Pool, PoolClient } from '../../libs/fleet-auth/src/index.js';
import { clientOutputKeys, POOL_OUTPUTS } from './output-keys.js';

/** Settings of {@link FleetAuthStack}. */
export interface FleetAuthStackProps extends StackProps {
  /** The fleet's validated auth definition (`loadPool('libs/fleet-auth/pool.json')`). */
  readonly definition: Pool;
}

/** A definition the stack cannot provision; the message names the field. */
export class FleetAuthDefinitionError extends Error {
  readonly code = 'FLEET_AUTH_DEFINITION_UNSUPPORTED';
  constructor(message: string) {
    super(message);
    this.name = 'FleetAuthDefinitionError';
  }
}

/**
 * The fleet's Cognito user pool as CloudFormation, from the definition the emulator serves:
 * the pool, its domain, each resource server with its scopes, each app client, each client
 * secret in Secrets Manager (never in an output), and outputs for the token URL, issuer,
 * JWKS URI, pool id and each client's id and secret ARN.
 *
 * @example
 * ```ts
 * const stack = new FleetAuthStack(app, 'FleetAuth', { definition: await loadPool(file) });
 * stack.grantSecretsRead('caller', callerTaskRole); // GetSecretValue on the caller's secrets only
 * ```
 */
export class FleetAuthStack extends Stack {
  readonly userPool: UserPool;
  readonly domain: UserPoolDomain;
  private readonly definition: Pool;
  private readonly secrets = new Map<string, Secret>();

  constructor(scope: Construct, id: string, props: FleetAuthStackProps) {
    super(scope, id, props);
    const { definition } = props;
    this.definition = definition;
    const settings = definition.userPool;
    const removalPolicy =
      settings.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.userPool = new UserPool(this, 'UserPool', {
      userPoolName: settings.userPoolName,
      selfSignUpEnabled: !settings.allowAdminCreateUserOnly,
      deletionProtection: settings.deletionProtection === 'ACTIVE',
      // No self-service password reset: users, if any, are the administrators' to manage.
      accountRecovery: AccountRecovery.NONE,
      removalPolicy,
    });
    this.domain = this.addDomain(definition);

    const servers = new Map<string, UserPoolResourceServer>();
    for (const rs of definition.resourceServers) {
      servers.set(
        rs.identifier,
        // The identifier may hold "/" (URL identifiers), which construct ids cannot.
        this.userPool.addResourceServer(`ResourceServer:${encodeURIComponent(rs.identifier)}`, {
          identifier: rs.identifier,
          userPoolResourceServerName: rs.name,
          scopes: rs.scopes.map(
            // Cognito requires a description; the name stands in for an empty one.
            (s) =>
              new ResourceServerScope({
                scopeName: s.name,
                scopeDescription: s.description || s.name,
              }),
          ),
        }),
      );
    }

    const outputNames = new Map<string, string>();
    definition.clients.forEach((client, i) => {
      const keys = clientOutputKeys(client.clientId);
      const clash = outputNames.get(keys.clientId);
      if (clash !== undefined) {
        throw new FleetAuthDefinitionError(
          `clients[${i}].clientId: "${client.clientId}" and "${clash}" both give the output name ${keys.clientId}`,
        );
      }
      outputNames.set(keys.clientId, client.clientId);
      this.addClient(client, servers, removalPolicy, keys);
    });

    const base = this.domain.baseUrl();
    const issuer = `https://cognito-idp.${Aws.REGION}.${Aws.URL_SUFFIX}/${this.userPool.userPoolId}`;
    new CfnOutput(this, POOL_OUTPUTS.tokenUrl, {
      value: `${base}/oauth2/token`,
      description: 'Token endpoint (OAUTH_TOKEN_URL)',
    });
    new CfnOutput(this, POOL_OUTPUTS.issuer, {
      value: issuer,
      description: 'Issuer of access tokens (AUTH_ISSUER)',
    });
    new CfnOutput(this, POOL_OUTPUTS.jwksUri, {
      value: `${issuer}/.well-known/jwks.json`,
      description: 'Signing keys (AUTH_JWKS_URI; the default for AUTH_ISSUER)',
    });
    new CfnOutput(this, POOL_OUTPUTS.userPoolId, {
      value: this.userPool.userPoolId,
      description: 'User pool id (COGNITO_USER_POOL_ID)',
    });
  }

  /**
   * Gives `grantee` (a service's role) `secretsmanager:GetSecretValue` and `DescribeSecret`
   * on the client secrets of `service` (the definition's `services.<service>.clients`) and
   * on nothing else.
   */
  grantSecretsRead(service: string, grantee: IGrantable): Grant {
    const uses = this.definition.services[service];
    if (!uses) {
      throw new FleetAuthDefinitionError(`services: no service "${service}" in the definition`);
    }
    const grants = Object.values(uses.clients).map((clientId) =>
      this.clientSecret(clientId).grantRead(grantee),
    );
    if (grants.length === 0) {
      throw new FleetAuthDefinitionError(`services.${service}.clients: the service uses no client`);
    }
    return grants.reduce((all, grant) => all.combine(grant));
  }

  /** The Secrets Manager secret holding the generated secret of the client `clientId`. */
  clientSecret(clientId: string): Secret {
    const secret = this.secrets.get(clientId);
    if (!secret) {
      throw new FleetAuthDefinitionError(`clients: no client "${clientId}" with a secret`);
    }
    return secret;
  }

  private addDomain(definition: Pool): UserPoolDomain {
    const domain = definition.domain;
    if (!domain) {
      throw new FleetAuthDefinitionError(
        'domain: the token endpoint lives on the pool domain; set domain.domainPrefix or domain.customDomain',
      );
    }
    if (domain.domainPrefix !== undefined) {
      return this.userPool.addDomain('Domain', {
        cognitoDomain: { domainPrefix: domain.domainPrefix },
      });
    }
    const custom = domain.customDomain!;
    const added = this.userPool.addDomain('Domain', {
      customDomain: {
        domainName: custom.domainName,
        certificate: Certificate.fromCertificateArn(
          this,
          'DomainCertificate',
          custom.certificateArn,
        ),
      },
    });
    new CfnOutput(this, POOL_OUTPUTS.domainAliasTarget, {
      value: added.cloudFrontEndpoint,
      description: `CloudFront target of the DNS alias (A/AAAA) record for ${custom.domainName}`,
    });
    return added;
  }

  private addClient(
    client: PoolClient,
    servers: ReadonlyMap<string, UserPoolResourceServer>,
    removalPolicy: RemovalPolicy,
    keys: { clientId: string; secretArn: string },
  ): void {
    const scope = new Construct(this, client.clientId);
    const oauth = client.allowedOAuthFlows.length > 0;
    const userFacing = client.allowedOAuthFlows.some((flow) => flow !== 'client_credentials');
    const unlessEmpty = (list: string[]) => (list.length > 0 ? list : undefined);
    // L1: the definition already holds Cognito's own properties, units included, and the
    // explicit auth flows are written even when empty (left out, Cognito enables SRP and
    // custom auth). The secret comes from CloudFormation's GetAtt, with no Lambda.
    const cfn = new CfnUserPoolClient(scope, 'AppClient', {
      userPoolId: this.userPool.userPoolId,
      clientName: client.clientName || client.clientId,
      generateSecret: client.clientSecret !== null,
      allowedOAuthFlowsUserPoolClient: oauth,
      allowedOAuthFlows: oauth ? client.allowedOAuthFlows : undefined,
      // GetClientToken (ALLOW_CLIENT_TOKEN_AUTH) grants scopes without an OAuth flow.
      allowedOAuthScopes: unlessEmpty(client.allowedOAuthScopes),
      // code and implicit sign users in at the pool's own login pages (the definition's
      // rules give them a callback URL); client_credentials signs no one in.
      supportedIdentityProviders: userFacing ? ['COGNITO'] : undefined,
      callbackUrLs: unlessEmpty(client.callbackURLs),
      logoutUrLs: unlessEmpty(client.logoutURLs),
      explicitAuthFlows: client.explicitAuthFlows,
      accessTokenValidity: client.accessTokenValidity,
      idTokenValidity: client.idTokenValidity,
      refreshTokenValidity: client.refreshTokenValidity,
      tokenValidityUnits: client.tokenValidityUnits,
      enableTokenRevocation: client.enableTokenRevocation,
      preventUserExistenceErrors: client.preventUserExistenceErrors,
    });
    // Scopes are plain "<identifier>/<scope>" strings: the client must wait for its servers.
    const identifiers = client.allowedOAuthScopes.map((s) => s.slice(0, s.lastIndexOf('/')));
    for (const identifier of new Set(identifiers)) {
      const server = servers.get(identifier);
      if (server) cfn.node.addDependency(server);
    }
    new CfnOutput(this, keys.clientId, {
      value: cfn.ref,
      description: `App client id of ${client.clientId}`,
    });
    if (client.clientSecret === null) return;

    const secret = new Secret(scope, 'Secret', {
      description: `Client secret of the Cognito app client ${client.clientId}`,
      secretStringValue: SecretValue.resourceAttribute(cfn.attrClientSecret),
      removalPolicy,
    });
    this.secrets.set(client.clientId, secret);
    new CfnOutput(this, keys.secretArn, {
      value: secret.secretArn,
      description: `Secrets Manager ARN of the client secret of ${client.clientId}`,
    });
  }
}
