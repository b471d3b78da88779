import {
  appClientViolations,
  clientSecretsOf,
  ClientSchema,
  formatZodIssues,
  MAX_CLIENT_SECRETS,
  SECONDS_PER,
  STANDARD_SCOPES,
  type AppClientViolation,
  type PoolClient,
  type PoolResourceServer,
  type TimeUnit,
  userPoolRegion,
} from '@app/fleet-auth';
import { Inject, Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { CognitoIdpError } from '../aws-json/cognito-idp.error.js';
import {
  type ClientSecretDescriptor,
  describedSecret,
  nextSecretDescriptor,
} from '../pool/secret-descriptors.js';
import { type ClientMeta, type PoolSettings, PoolStore } from '../pool/pool-store.js';
import { Clock } from '../shared/clock.js';
import { TriggerModules } from '../triggers/pre-token-generation.service.js';
import type {
  AddClientSecretInput,
  ClientRef,
  CreateClientInput,
  DeleteClientSecretInput,
  ListClientSecretsInput,
  ListClientsInput,
  ListResourceServersInput,
  PoolRef,
  ResourceServerInput,
  ResourceServerRef,
  UpdateClientInput,
  UpdatePoolInput,
} from './control-plane.inputs.js';

type Json = Record<string, unknown>;

/** Cognito's quotas per user pool. */
const MAX_RESOURCE_SERVERS = 25;
const MAX_CLIENTS = 1000;
const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** The length of the secrets Cognito generates. */
export const SECRET_LENGTH = 51;

/** Letters and digits, as Cognito's generated client ids (26) and secrets (51) are. */
export function generated(length: number): string {
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
    // ALLOW_CLIENT_TOKEN_AUTH's rules: Cognito's own words for them were not found.
    case 'authFlow':
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
 * validation and errors. Its operations, their input shapes and which of them persist are
 * declared in the registry (`aws-operations.ts`). Changes apply to the {@link PoolStore} at
 * once (a created client gets tokens, a deleted one gets `invalid_client`).
 */
@Injectable()
export class ControlPlaneService {
  /** The pool's region, the prefix of its id (`us-east-1_Weather01`), for ARNs. */
  private readonly region: string;

  constructor(
    @Inject(PoolStore) private readonly pool: PoolStore,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(TriggerModules) private readonly triggers: TriggerModules,
  ) {
    this.region = userPoolRegion(pool.userPoolId);
  }

  /** Refuses any pool but the one served. */
  private checkPool({ UserPoolId: id }: PoolRef): void {
    if (id !== this.pool.userPoolId) {
      throw new CognitoIdpError('ResourceNotFoundException', `User pool ${id} does not exist.`);
    }
  }

  describeUserPool(input: PoolRef): Json {
    this.checkPool(input);
    const { userPoolId, loadedAt, settings } = this.pool;
    const trigger = settings.preTokenGeneration;
    return {
      UserPool: {
        Id: userPoolId,
        Name: settings.userPoolName,
        Arn: `arn:aws:cognito-idp:${this.region}:000000000000:userpool/${userPoolId}`,
        CreationDate: loadedAt,
        LastModifiedDate: settings.lastModifiedAt,
        EstimatedNumberOfUsers: this.pool.userCount,
        MfaConfiguration: 'OFF',
        DeletionProtection: settings.deletionProtection,
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: settings.allowAdminCreateUserOnly },
        UserPoolTier: 'ESSENTIALS',
        IssuerConfiguration: { Type: settings.issuerType },
        LambdaConfig: trigger
          ? {
              PreTokenGeneration: trigger.lambdaArn,
              PreTokenGenerationConfig: {
                LambdaArn: trigger.lambdaArn,
                LambdaVersion: trigger.lambdaVersion,
              },
            }
          : {},
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

  /**
   * UpdateUserPool, for the settings the emulator models. As Cognito ("If you don't provide a
   * value for an attribute, Amazon Cognito sets it to its default value"): deletion
   * protection left out is `INACTIVE` (the API's default, developer guide "User pool
   * deletion protection"), `AllowAdminCreateUserOnly` false, a `LambdaConfig` left out
   * removes the trigger. The issuer type and the name have no documented default, so they
   * stay unless given. Changing the issuer type changes the `iss` of the tokens issued from
   * then on; tokens of the other form stay valid until they expire (same keys, published
   * under both hosts).
   */
  updateUserPool(input: UpdatePoolInput): undefined {
    this.checkPool(input);
    const current = this.pool.settings;
    const trigger = this.preTokenGenerationFrom(input.LambdaConfig);
    const settings: PoolSettings = {
      userPoolName: input.PoolName ?? current.userPoolName,
      deletionProtection:
        (input.DeletionProtection as PoolSettings['deletionProtection']) ?? 'INACTIVE',
      allowAdminCreateUserOnly: input.AdminCreateUserConfig?.AllowAdminCreateUserOnly ?? false,
      issuerType:
        (input.IssuerConfiguration?.Type as PoolSettings['issuerType']) ?? current.issuerType,
      ...(trigger && { preTokenGeneration: trigger }),
      lastModifiedAt: this.clock.nowSeconds(),
    };
    this.pool.putSettings(settings);
    return undefined;
  }

  /**
   * The pre token generation trigger an UpdateUserPool's `LambdaConfig` names: only the
   * function of the pool file's trigger module can run here, so any other ARN is refused.
   */
  private preTokenGenerationFrom(
    config: UpdatePoolInput['LambdaConfig'],
  ): PoolSettings['preTokenGeneration'] {
    const versioned = config?.PreTokenGenerationConfig;
    const arn = versioned?.LambdaArn ?? config?.PreTokenGeneration;
    if (arn === undefined) return undefined;
    if (
      versioned &&
      config?.PreTokenGeneration !== undefined &&
      config.PreTokenGeneration !== arn
    ) {
      throw new CognitoIdpError(
        'InvalidParameterException',
        'PreTokenGeneration and PreTokenGenerationConfig.LambdaArn must name the same function.',
      );
    }
    const loaded = this.triggers.preTokenGeneration;
    if (arn !== loaded?.arn) {
      throw new CognitoIdpError(
        'InvalidParameterException',
        loaded
          ? `The emulator runs only the pool file's trigger module, function ${loaded.arn}; ${arn} is not it.`
          : `The pool file names no trigger module (userPool.lambdaConfig.preTokenGenerationConfig), so no function ${arn} can run here.`,
      );
    }
    // The legacy PreTokenGeneration member alone is a V1_0 trigger.
    const version = (versioned?.LambdaVersion ?? 'V1_0') as 'V1_0' | 'V2_0' | 'V3_0';
    return { lambdaVersion: version, lambdaArn: arn };
  }

  // --- resource servers ---

  private resourceServer(input: ResourceServerInput): PoolResourceServer {
    this.checkPool(input);
    const scopes = (input.Scopes ?? []).map((s) => ({
      name: s.ScopeName,
      description: s.ScopeDescription,
    }));
    const names = scopes.map((s) => s.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate !== undefined) {
      throw new CognitoIdpError('InvalidParameterException', `Duplicate scope name ${duplicate}.`);
    }
    return { identifier: input.Identifier, name: input.Name, scopes };
  }

  private resourceServerShape(rs: PoolResourceServer): Json {
    return {
      UserPoolId: this.pool.userPoolId,
      Identifier: rs.identifier,
      Name: rs.name,
      Scopes: rs.scopes.map((s) => ({ ScopeName: s.name, ScopeDescription: s.description })),
    };
  }

  private existingResourceServer(input: ResourceServerRef): PoolResourceServer {
    this.checkPool(input);
    const rs = this.pool.resourceServer(input.Identifier);
    if (!rs) {
      throw new CognitoIdpError(
        'ResourceNotFoundException',
        `Resource server ${input.Identifier} does not exist in user pool ${this.pool.userPoolId}.`,
      );
    }
    return rs;
  }

  createResourceServer(input: ResourceServerInput): Json {
    const rs = this.resourceServer(input);
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

  describeResourceServer(input: ResourceServerRef): Json {
    return { ResourceServer: this.resourceServerShape(this.existingResourceServer(input)) };
  }

  listResourceServers(input: ListResourceServersInput): Json {
    this.checkPool(input);
    const { slice, next } = page(this.pool.resourceServers(), input.MaxResults, input.NextToken);
    return {
      ResourceServers: slice.map((rs) => this.resourceServerShape(rs)),
      ...(next && { NextToken: next }),
    };
  }

  updateResourceServer(input: ResourceServerInput): Json {
    const rs = this.resourceServer(input);
    this.existingResourceServer(input);
    // As Cognito: the request replaces the server; scopes it leaves out are gone.
    this.pool.putResourceServer(rs);
    return { ResourceServer: this.resourceServerShape(rs) };
  }

  deleteResourceServer(input: ResourceServerRef): undefined {
    this.pool.deleteResourceServer(this.existingResourceServer(input).identifier);
    return undefined;
  }

  // --- app clients ---

  private clientShape(c: PoolClient, meta: ClientMeta): Json {
    const secret = describedSecret(clientSecretsOf(c), meta);
    return {
      UserPoolId: this.pool.userPoolId,
      ClientName: c.clientName,
      ClientId: c.clientId,
      ...(secret !== undefined && { ClientSecret: secret }),
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
   * A client from the settings of CreateUserPoolClient or UpdateUserPoolClient. As Cognito,
   * every setting left out takes its default (an update replaces the client's settings, it
   * does not merge); the result obeys the definition's rules, so the state file loads again.
   */
  private clientFrom(
    input: CreateClientInput | UpdateClientInput,
    clientId: string,
    clientName: string,
    secret: PoolClient['clientSecret'],
  ) {
    this.checkPool(input);
    const units = input.TokenValidityUnits;
    // A validity left out is Cognito's default (1 hour, 1 hour, 30 days), whatever unit is
    // given for it: expressed in that unit when it is a whole number of it.
    const validity = (
      given: number | undefined,
      unit: string | undefined,
      fallback: TimeUnit,
      dflt: number,
    ) => {
      const u = (unit as TimeUnit | undefined) ?? fallback;
      if (given !== undefined) return { value: given, unit: u };
      const whole = dflt % SECONDS_PER[u] === 0 ? u : fallback;
      return { value: dflt / SECONDS_PER[whole], unit: whole };
    };
    const access = validity(input.AccessTokenValidity, units?.AccessToken, 'hours', 3600);
    const id = validity(input.IdTokenValidity, units?.IdToken, 'hours', 3600);
    const refresh = validity(input.RefreshTokenValidity, units?.RefreshToken, 'days', 30 * 86400);
    const allowedOAuthScopes = input.AllowedOAuthScopes ?? [];
    const client: PoolClient = {
      clientId,
      clientName,
      clientSecret: secret,
      allowedOAuthFlows: (input.AllowedOAuthFlows ?? []) as PoolClient['allowedOAuthFlows'],
      explicitAuthFlows: (input.ExplicitAuthFlows ?? []) as PoolClient['explicitAuthFlows'],
      allowedOAuthScopes,
      callbackURLs: input.CallbackURLs ?? [],
      logoutURLs: input.LogoutURLs ?? [],
      accessTokenValidity: access.value,
      idTokenValidity: id.value,
      refreshTokenValidity: refresh.value,
      tokenValidityUnits: {
        accessToken: access.unit,
        idToken: id.unit,
        refreshToken: refresh.unit,
      },
      enableTokenRevocation: input.EnableTokenRevocation ?? true,
      // The API's default; the definition's is ENABLED.
      preventUserExistenceErrors:
        (input.PreventUserExistenceErrors as 'ENABLED' | 'LEGACY' | undefined) ?? 'LEGACY',
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
    return {
      client: parsed.data,
      allowedOAuthFlowsUserPoolClient: input.AllowedOAuthFlowsUserPoolClient ?? false,
    };
  }

  private existingClient(input: ClientRef): PoolClient {
    this.checkPool(input);
    const client = this.pool.client(input.ClientId);
    if (!client) {
      throw new CognitoIdpError(
        'ResourceNotFoundException',
        `User pool client ${input.ClientId} does not exist.`,
      );
    }
    return client;
  }

  createUserPoolClient(input: CreateClientInput): Json {
    if (input.GenerateSecret && input.ClientSecret !== undefined) {
      throw new CognitoIdpError(
        'InvalidParameterException',
        'ClientSecret cannot be given with GenerateSecret true.',
      );
    }
    const clientId = generated(26);
    const { client, allowedOAuthFlowsUserPoolClient } = this.clientFrom(
      input,
      clientId,
      input.ClientName,
      input.ClientSecret ?? (input.GenerateSecret ? generated(SECRET_LENGTH) : null),
    );
    if (this.pool.clients().length >= MAX_CLIENTS) {
      throw new CognitoIdpError(
        'LimitExceededException',
        `A user pool can have at most ${MAX_CLIENTS} app clients.`,
      );
    }
    const nowMs = this.clock.nowMs();
    const now = Math.floor(nowMs / 1000);
    const secrets = client.clientSecret === null ? [] : [nextSecretDescriptor(clientId, [], nowMs)];
    const meta: ClientMeta = {
      createdAt: now,
      lastModifiedAt: now,
      allowedOAuthFlowsUserPoolClient,
      secrets,
      describedSecretId: secrets[0]?.id ?? null,
    };
    this.pool.putClient(client, meta);
    return { UserPoolClient: this.clientShape(client, meta) };
  }

  describeUserPoolClient(input: ClientRef): Json {
    const client = this.existingClient(input);
    return { UserPoolClient: this.clientShape(client, this.pool.clientMeta(client.clientId)!) };
  }

  listUserPoolClients(input: ListClientsInput): Json {
    this.checkPool(input);
    const { slice, next } = page(this.pool.clients(), input.MaxResults ?? 60, input.NextToken);
    return {
      UserPoolClients: slice.map((c) => ({
        ClientId: c.clientId,
        UserPoolId: this.pool.userPoolId,
        ClientName: c.clientName,
      })),
      ...(next && { NextToken: next }),
    };
  }

  updateUserPoolClient(input: UpdateClientInput): Json {
    const existing = this.existingClient(input);
    const { client, allowedOAuthFlowsUserPoolClient } = this.clientFrom(
      input,
      existing.clientId,
      input.ClientName ?? existing.clientName,
      existing.clientSecret,
    );
    const meta: ClientMeta = {
      ...this.pool.clientMeta(existing.clientId)!,
      lastModifiedAt: this.clock.nowSeconds(),
      allowedOAuthFlowsUserPoolClient,
    };
    this.pool.putClient(client, meta);
    return { UserPoolClient: this.clientShape(client, meta) };
  }

  deleteUserPoolClient(input: ClientRef): undefined {
    this.pool.deleteClient(this.existingClient(input).clientId);
    return undefined;
  }

  // --- client secrets ---

  private secretShape(d: ClientSecretDescriptor, generatedValue?: string): Json {
    return {
      ClientSecretId: d.id,
      ...(generatedValue !== undefined && { ClientSecretValue: generatedValue }),
      ClientSecretCreateDate: d.createdAt / 1000,
    };
  }

  /** The client's secrets, after Cognito's checks on the pool and client. */
  private secretsOf(input: ClientRef): {
    client: PoolClient;
    secrets: readonly ClientSecretDescriptor[];
  } {
    const client = this.existingClient(input);
    return { client, secrets: this.pool.clientMeta(client.clientId)!.secrets };
  }

  /**
   * A new active secret, the given one or a generated one, whose value only this answer holds,
   * and only when it was generated. A client keeps at most two; a public client has none.
   */
  addUserPoolClientSecret(input: AddClientSecretInput): Json {
    const { client, secrets } = this.secretsOf(input);
    if (client.clientSecret === null) {
      throw new CognitoIdpError(
        'InvalidParameterException',
        `User pool client ${client.clientId} is a public client: it has no client secret.`,
      );
    }
    if (secrets.length >= MAX_CLIENT_SECRETS) {
      throw new CognitoIdpError(
        'LimitExceededException',
        `User pool client ${client.clientId} already has ${MAX_CLIENT_SECRETS} client secrets, the most it can have.`,
      );
    }
    const value = input.ClientSecret ?? generated(SECRET_LENGTH);
    const added = this.pool.addClientSecret(client.clientId, value, this.clock.nowMs());
    return {
      ClientSecretDescriptor: this.secretShape(
        added,
        input.ClientSecret === undefined ? value : undefined,
      ),
    };
  }

  /** Ids and creation dates, oldest first; never a value. */
  listUserPoolClientSecrets(input: ListClientSecretsInput): Json {
    const { secrets } = this.secretsOf(input);
    const { slice, next } = page([...secrets], MAX_CLIENT_SECRETS, input.NextToken);
    return {
      ClientSecrets: slice.map((d) => this.secretShape(d)),
      ...(next && { NextToken: next }),
    };
  }

  /** Retires a secret at once; a client's last secret stays. */
  deleteUserPoolClientSecret(input: DeleteClientSecretInput): undefined {
    const { client, secrets } = this.secretsOf(input);
    if (!secrets.some((s) => s.id === input.ClientSecretId)) {
      throw new CognitoIdpError(
        'ResourceNotFoundException',
        `Client secret ${input.ClientSecretId} does not exist for user pool client ${client.clientId}.`,
      );
    }
    if (secrets.length === 1) {
      throw new CognitoIdpError(
        'InvalidParameterException',
        `The last client secret of user pool client ${client.clientId} cannot be deleted.`,
      );
    }
    this.pool.deleteClientSecret(client.clientId, input.ClientSecretId);
    return undefined;
  }
}
