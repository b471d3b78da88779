import {
  appClientViolations,
  ClientSchema,
  COGNITO_PATTERNS,
  formatZodIssues,
  SECONDS_PER,
  STANDARD_SCOPES,
  TIME_UNITS,
  wholeMatch,
  type AppClientViolation,
  type PoolClient,
  type PoolResourceServer,
  type TimeUnit,
} from '@app/fleet-auth';
import { randomInt } from 'node:crypto';
import { CognitoIdpError } from '../idp/cognito-idp.error.js';
import type { ClientMeta, PoolStore } from '../pool/pool-store.js';
import type { StateFile } from '../pool/state-file.js';
import { AwsInput } from './aws-input.js';

type Json = Record<string, unknown>;

/** An AWS string constraint with one of Cognito's patterns, quoted as AWS quotes it. */
const patterned = (min: number, max: number, pattern: string) => ({
  min,
  max,
  pattern: wholeMatch(pattern),
  patternText: pattern,
});
const NAME = patterned(1, 128, COGNITO_PATTERNS.name);
const IDENTIFIER = patterned(1, 256, COGNITO_PATTERNS.resourceServerIdentifier);
const SCOPE_NAME = patterned(1, 256, COGNITO_PATTERNS.scopeName);
const CLIENT_ID = patterned(1, 128, COGNITO_PATTERNS.clientId);
const AUTH_FLOWS = [
  'ALLOW_ADMIN_USER_PASSWORD_AUTH',
  'ALLOW_CUSTOM_AUTH',
  'ALLOW_USER_PASSWORD_AUTH',
  'ALLOW_USER_SRP_AUTH',
  'ALLOW_REFRESH_TOKEN_AUTH',
  'ALLOW_USER_AUTH',
] as const;
// In the order AWS's validation message lists them.
const OAUTH_FLOWS = ['implicit', 'client_credentials', 'code'] as const;
/** Cognito's quotas per user pool. */
const MAX_RESOURCE_SERVERS = 25;
const MAX_CLIENTS = 1000;
const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Letters and digits, as Cognito's generated client ids (26) and secrets (51) are. */
function generated(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

/**
 * A broken rule of Cognito's for app clients, as the exception Cognito answers it with: its
 * own words where they are known (as its answers are quoted in public issues: the
 * client_credentials rules), the shared rule's otherwise.
 */
function violationError(v: AppClientViolation, client: PoolClient): CognitoIdpError {
  const member = v.field.charAt(0).toUpperCase() + v.field.slice(1);
  switch (v.rule) {
    case 'tokenValidity':
      return new CognitoIdpError(
        'InvalidParameterException',
        `Invalid range for token validity: ${member} ${v.message}.`,
      );
    case 'oauthFlow': {
      const standard = client.allowedOAuthScopes.find((s) => STANDARD_SCOPES.includes(s));
      const message =
        v.field === 'allowedOAuthFlows'
          ? 'client_credentials flow can not be selected along with code flow or implicit flow.'
          : v.field === 'clientSecret'
            ? 'client_credentials flow can not be selected if client does not have a client secret.'
            : standard !== undefined
              ? `${standard} is not supported with client_credentials flow`
              : `${v.message}.`;
      return new CognitoIdpError('InvalidOAuthFlowException', message);
    }
    case 'callbackURLs':
      return new CognitoIdpError('InvalidParameterException', `${member}: ${v.message}.`);
  }
}

function pageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function pageOffset(token: string | undefined, total: number): number {
  if (token === undefined) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      offset: unknown;
    };
    if (Number.isInteger(offset) && (offset as number) > 0 && (offset as number) <= total) {
      return offset as number;
    }
  } catch {
    // falls through to the error below
  }
  throw new CognitoIdpError('InvalidParameterException', 'The pagination token is invalid.');
}

function page<T>(items: T[], max: number, token: string | undefined) {
  const start = pageOffset(token, items.length);
  const slice = items.slice(start, start + max);
  const next = start + max < items.length ? pageToken(start + max) : undefined;
  return { slice, next };
}

/**
 * The Cognito control plane for the one pool the emulator serves, as the AWS SDK calls it
 * (`POST /`, AWS JSON 1.1): resource servers and app clients, with Cognito's defaults,
 * validation and errors. Changes apply to the {@link PoolStore} at once (a created client
 * gets tokens, a deleted one gets `invalid_client`) and go to the state file when one is
 * configured.
 */
export class ControlPlaneService {
  /** Operation name (the `X-Amz-Target` suffix) to handler. */
  readonly operations: ReadonlyMap<string, (input: unknown) => Promise<Json>>;

  constructor(
    private readonly pool: PoolStore,
    private readonly state: StateFile | undefined,
    private readonly region: string,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    const ops: Record<string, (i: AwsInput) => Json | undefined> = {
      DescribeUserPool: (i) => this.describeUserPool(i),
      CreateResourceServer: (i) => this.createResourceServer(i),
      DescribeResourceServer: (i) => this.describeResourceServer(i),
      ListResourceServers: (i) => this.listResourceServers(i),
      UpdateResourceServer: (i) => this.updateResourceServer(i),
      DeleteResourceServer: (i) => this.deleteResourceServer(i),
      CreateUserPoolClient: (i) => this.createUserPoolClient(i),
      DescribeUserPoolClient: (i) => this.describeUserPoolClient(i),
      ListUserPoolClients: (i) => this.listUserPoolClients(i),
      UpdateUserPoolClient: (i) => this.updateUserPoolClient(i),
      DeleteUserPoolClient: (i) => this.deleteUserPoolClient(i),
    };
    const mutating = new Set(Object.keys(ops).filter((op) => /^(Create|Update|Delete)/.test(op)));
    this.operations = new Map(
      Object.entries(ops).map(([op, handler]) => [
        op,
        async (input: unknown) => {
          const result = handler(AwsInput.of(input)) ?? {};
          if (mutating.has(op)) await this.state?.save(this.pool.overlay());
          return result;
        },
      ]),
    );
  }

  /** Reads `UserPoolId` and refuses any pool but the one served. */
  private poolId(input: AwsInput): void {
    const id = input.requiredString('UserPoolId', {
      min: 1,
      max: 55,
      pattern: /^[\w-]+_[0-9a-zA-Z]+$/,
      patternText: '[\\w-]+_[0-9a-zA-Z]+',
    });
    input.done();
    if (id !== this.pool.userPoolId) {
      throw new CognitoIdpError('ResourceNotFoundException', `User pool ${id} does not exist.`);
    }
  }

  private describeUserPool(input: AwsInput): Json {
    this.poolId(input);
    const { userPoolId, userPoolName, loadedAt, settings } = this.pool;
    return {
      UserPool: {
        Id: userPoolId,
        Name: userPoolName,
        Arn: `arn:aws:cognito-idp:${this.region}:000000000000:userpool/${userPoolId}`,
        CreationDate: loadedAt,
        LastModifiedDate: loadedAt,
        EstimatedNumberOfUsers: this.pool.userCount,
        MfaConfiguration: 'OFF',
        DeletionProtection: settings.deletionProtection,
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: settings.allowAdminCreateUserOnly },
        UserPoolTier: 'ESSENTIALS',
        Policies: {
          PasswordPolicy: {
            MinimumLength: 8,
            RequireUppercase: true,
            RequireLowercase: true,
            RequireNumbers: true,
            RequireSymbols: true,
            TemporaryPasswordValidityDays: 7,
          },
        },
      },
    };
  }

  // --- resource servers ---

  private readResourceServer(input: AwsInput): PoolResourceServer {
    const identifier = input.requiredString('Identifier', IDENTIFIER);
    const name = input.requiredString('Name', { ...NAME, max: 256 });
    const scopes = (input.structList('Scopes', 100) ?? []).map((s) => ({
      name: s.requiredString('ScopeName', SCOPE_NAME),
      description: s.requiredString('ScopeDescription', { min: 1, max: 256 }),
    }));
    input.done();
    const names = scopes.map((s) => s.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate !== undefined) {
      throw new CognitoIdpError('InvalidParameterException', `Duplicate scope name ${duplicate}.`);
    }
    return { identifier, name, scopes };
  }

  private resourceServerShape(rs: PoolResourceServer): Json {
    return {
      UserPoolId: this.pool.userPoolId,
      Identifier: rs.identifier,
      Name: rs.name,
      Scopes: rs.scopes.map((s) => ({ ScopeName: s.name, ScopeDescription: s.description })),
    };
  }

  private existingResourceServer(input: AwsInput): PoolResourceServer {
    const identifier = input.requiredString('Identifier', IDENTIFIER);
    this.poolId(input);
    return this.resourceServerOrThrow(identifier);
  }

  private resourceServerOrThrow(identifier: string): PoolResourceServer {
    const rs = this.pool.resourceServer(identifier);
    if (!rs) {
      throw new CognitoIdpError(
        'ResourceNotFoundException',
        `Resource server ${identifier} does not exist in user pool ${this.pool.userPoolId}.`,
      );
    }
    return rs;
  }

  private createResourceServer(input: AwsInput): Json {
    const rs = this.readResourceServer(input);
    this.poolId(input);
    if (this.pool.resourceServer(rs.identifier)) {
      throw new CognitoIdpError(
        'InvalidParameterException',
        `${this.pool.userPoolId} already has identifier ${rs.identifier}`,
      );
    }
    if (this.pool.resourceServers().length >= MAX_RESOURCE_SERVERS) {
      throw new CognitoIdpError(
        'LimitExceededException',
        `A user pool can have at most ${MAX_RESOURCE_SERVERS} resource servers.`,
      );
    }
    this.pool.putResourceServer(rs);
    return { ResourceServer: this.resourceServerShape(rs) };
  }

  private describeResourceServer(input: AwsInput): Json {
    return { ResourceServer: this.resourceServerShape(this.existingResourceServer(input)) };
  }

  private listResourceServers(input: AwsInput): Json {
    const max = input.integer('MaxResults', 1, 50);
    if (max === undefined) input.requiredString('MaxResults');
    const token = input.optionalString('NextToken', { min: 1 });
    this.poolId(input);
    const { slice, next } = page(this.pool.resourceServers(), max ?? 50, token);
    return {
      ResourceServers: slice.map((rs) => this.resourceServerShape(rs)),
      ...(next && { NextToken: next }),
    };
  }

  private updateResourceServer(input: AwsInput): Json {
    const rs = this.readResourceServer(input);
    this.poolId(input);
    this.resourceServerOrThrow(rs.identifier);
    // As Cognito: the request replaces the server; scopes it leaves out are gone.
    this.pool.putResourceServer(rs);
    return { ResourceServer: this.resourceServerShape(rs) };
  }

  private deleteResourceServer(input: AwsInput): undefined {
    this.pool.deleteResourceServer(this.existingResourceServer(input).identifier);
    return undefined;
  }

  // --- app clients ---

  private clientShape(c: PoolClient, meta: ClientMeta): Json {
    return {
      UserPoolId: this.pool.userPoolId,
      ClientName: c.clientName,
      ClientId: c.clientId,
      ...(c.clientSecret !== null && { ClientSecret: c.clientSecret }),
      LastModifiedDate: meta.lastModifiedAt,
      CreationDate: meta.createdAt,
      RefreshTokenValidity: c.refreshTokenValidity,
      AccessTokenValidity: c.accessTokenValidity,
      IdTokenValidity: c.idTokenValidity,
      TokenValidityUnits: {
        AccessToken: c.tokenValidityUnits.accessToken,
        IdToken: c.tokenValidityUnits.idToken,
        RefreshToken: c.tokenValidityUnits.refreshToken,
      },
      ExplicitAuthFlows: c.explicitAuthFlows,
      AllowedOAuthFlows: c.allowedOAuthFlows,
      AllowedOAuthScopes: c.allowedOAuthScopes,
      AllowedOAuthFlowsUserPoolClient: meta.allowedOAuthFlowsUserPoolClient,
      ...(c.callbackURLs.length > 0 && { CallbackURLs: c.callbackURLs }),
      ...(c.logoutURLs.length > 0 && { LogoutURLs: c.logoutURLs }),
      SupportedIdentityProviders: ['COGNITO'],
      PreventUserExistenceErrors: c.preventUserExistenceErrors,
      EnableTokenRevocation: c.enableTokenRevocation,
      EnablePropagateAdditionalUserContextData: false,
      AuthSessionValidity: 3,
    };
  }

  /**
   * The settings of CreateUserPoolClient and UpdateUserPoolClient. As Cognito, every setting
   * left out takes its default (an update replaces the client's settings, it does not merge).
   */
  private readClientSettings(
    input: AwsInput,
    clientId: string,
    secret: string | null,
    fallbackName?: string,
  ) {
    const clientName =
      fallbackName === undefined
        ? input.requiredString('ClientName', NAME)
        : (input.optionalString('ClientName', NAME) ?? fallbackName);
    const units = input.struct('TokenValidityUnits');
    // A validity left out is Cognito's default (1 hour, 1 hour, 30 days), whatever unit is
    // given for it: expressed in that unit when it is a whole number of it.
    const validity = (token: string, fallback: TimeUnit, range: [number, number], dflt: number) => {
      const given = units?.optionalString(token, { values: TIME_UNITS }) as TimeUnit | undefined;
      const u = given ?? fallback;
      const value = input.integer(`${token}Validity`, ...range);
      if (value !== undefined) return { value, unit: u };
      const whole = dflt % SECONDS_PER[u] === 0 ? u : fallback;
      return { value: dflt / SECONDS_PER[whole], unit: whole };
    };
    const { value: access, unit: accessUnit } = validity('AccessToken', 'hours', [1, 86400], 3600);
    const { value: id, unit: idUnit } = validity('IdToken', 'hours', [1, 86400], 3600);
    const { value: refresh, unit: refreshUnit } = validity(
      'RefreshToken',
      'days',
      [0, 315360000],
      30 * 86400,
    );
    const explicitAuthFlows = input.stringList('ExplicitAuthFlows', { values: AUTH_FLOWS }) ?? [];
    const allowedOAuthFlows =
      input.stringList('AllowedOAuthFlows', { values: OAUTH_FLOWS, maxItems: 3 }) ?? [];
    const allowedOAuthScopes =
      input.stringList('AllowedOAuthScopes', { min: 1, max: 256, maxItems: 50 }) ?? [];
    const flowsOn = input.boolean('AllowedOAuthFlowsUserPoolClient') ?? false;
    const callbackURLs =
      input.stringList('CallbackURLs', { min: 1, max: 1024, maxItems: 100 }) ?? [];
    const logoutURLs = input.stringList('LogoutURLs', { min: 1, max: 1024, maxItems: 100 }) ?? [];
    const prevent = input.optionalString('PreventUserExistenceErrors', {
      values: ['ENABLED', 'LEGACY'],
    });
    const revocation = input.boolean('EnableTokenRevocation') ?? true;
    this.poolId(input);

    const client: PoolClient = {
      clientId,
      clientName,
      clientSecret: secret,
      allowedOAuthFlows: allowedOAuthFlows as PoolClient['allowedOAuthFlows'],
      explicitAuthFlows: explicitAuthFlows as PoolClient['explicitAuthFlows'],
      allowedOAuthScopes,
      callbackURLs,
      logoutURLs,
      accessTokenValidity: access,
      idTokenValidity: id,
      refreshTokenValidity: refresh,
      tokenValidityUnits: { accessToken: accessUnit, idToken: idUnit, refreshToken: refreshUnit },
      enableTokenRevocation: revocation,
      // The API's default; the definition's is ENABLED.
      preventUserExistenceErrors: (prevent as 'ENABLED' | 'LEGACY' | undefined) ?? 'LEGACY',
    };
    const [violation] = appClientViolations(client);
    if (violation?.rule === 'tokenValidity') throw violationError(violation, client);
    for (const scope of allowedOAuthScopes) {
      if (!this.pool.hasScope(scope)) {
        throw new CognitoIdpError(
          'ScopeDoesNotExistException',
          `Invalid scope requested: ${scope}`,
        );
      }
    }
    // No error for AllowedOAuthFlows without AllowedOAuthFlowsUserPoolClient: Cognito keeps
    // both, and the token endpoint then answers the client invalid_grant.
    if (violation) throw violationError(violation, client);
    // What the control plane creates is a client the definition's schema accepts, so the
    // state file it is saved to loads again.
    const parsed = ClientSchema.safeParse(client);
    if (!parsed.success) {
      throw new CognitoIdpError('InvalidParameterException', formatZodIssues(parsed.error.issues));
    }
    return { client: parsed.data, allowedOAuthFlowsUserPoolClient: flowsOn };
  }

  private existingClient(input: AwsInput): PoolClient {
    const clientId = input.requiredString('ClientId', CLIENT_ID);
    this.poolId(input);
    const client = this.pool.client(clientId);
    if (!client) {
      throw new CognitoIdpError(
        'ResourceNotFoundException',
        `User pool client ${clientId} does not exist.`,
      );
    }
    return client;
  }

  private createUserPoolClient(input: AwsInput): Json {
    const generateSecret = input.boolean('GenerateSecret') ?? false;
    const { client, allowedOAuthFlowsUserPoolClient } = this.readClientSettings(
      input,
      generated(26),
      generateSecret ? generated(51) : null,
    );
    if (this.pool.clients().length >= MAX_CLIENTS) {
      throw new CognitoIdpError(
        'LimitExceededException',
        `A user pool can have at most ${MAX_CLIENTS} app clients.`,
      );
    }
    const now = this.now();
    const meta: ClientMeta = {
      createdAt: now,
      lastModifiedAt: now,
      allowedOAuthFlowsUserPoolClient,
    };
    this.pool.putClient(client, meta);
    return { UserPoolClient: this.clientShape(client, meta) };
  }

  private describeUserPoolClient(input: AwsInput): Json {
    const client = this.existingClient(input);
    return { UserPoolClient: this.clientShape(client, this.pool.clientMeta(client.clientId)!) };
  }

  private listUserPoolClients(input: AwsInput): Json {
    const max = input.integer('MaxResults', 1, 60) ?? 60;
    const token = input.optionalString('NextToken', { min: 1 });
    this.poolId(input);
    const { slice, next } = page(this.pool.clients(), max, token);
    return {
      UserPoolClients: slice.map((c) => ({
        ClientId: c.clientId,
        UserPoolId: this.pool.userPoolId,
        ClientName: c.clientName,
      })),
      ...(next && { NextToken: next }),
    };
  }

  private updateUserPoolClient(input: AwsInput): Json {
    const existing = this.existingClient(input);
    const { client, allowedOAuthFlowsUserPoolClient } = this.readClientSettings(
      input,
      existing.clientId,
      existing.clientSecret,
      existing.clientName,
    );
    const meta: ClientMeta = {
      ...this.pool.clientMeta(existing.clientId)!,
      lastModifiedAt: this.now(),
      allowedOAuthFlowsUserPoolClient,
    };
    this.pool.putClient(client, meta);
    return { UserPoolClient: this.clientShape(client, meta) };
  }

  private deleteUserPoolClient(input: AwsInput): undefined {
    this.pool.deleteClient(this.existingClient(input).clientId);
    return undefined;
  }
}
