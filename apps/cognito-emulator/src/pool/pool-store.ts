import {
  clientSecretsOf,
  scopeExists,
  tokenValiditySeconds,
  type IssuerType,
  type Pool,
  type PoolClient,
  type PoolResourceServer,
  type PoolUser,
} from '@app/fleet-auth';
import { sha256 } from '../shared/secrets.js';
import { triggerFunctionArn } from '../triggers/pre-token-trigger.js';
import {
  type ClientSecretDescriptor,
  nextSecretDescriptor,
  secretDescriptors,
} from './secret-descriptors.js';

/**
 * The user pool's own settings the emulator models, in Cognito's terms (`DescribeUserPool`,
 * `UpdateUserPool`): from the definition's `userPool`, then as UpdateUserPool sets them.
 */
export interface PoolSettings {
  /** The definition's `userPool.userPoolName`, or the pool id when it names none. */
  userPoolName: string;
  deletionProtection: 'ACTIVE' | 'INACTIVE';
  allowAdminCreateUserOnly: boolean;
  issuerType: IssuerType;
  /** `LambdaConfig.PreTokenGenerationConfig`; absent: no pre token generation trigger. */
  preTokenGeneration?: { lambdaVersion: 'V1_0' | 'V2_0' | 'V3_0'; lambdaArn: string };
  /** Unix seconds: when this process loaded them, or UpdateUserPool last changed them. */
  lastModifiedAt: number;
}

/** What the control plane knows of a client beyond the definition's settings. */
export interface ClientMeta {
  /** Unix seconds. */
  createdAt: number;
  lastModifiedAt: number;
  /**
   * Cognito's `AllowedOAuthFlowsUserPoolClient`. Cognito accepts `AllowedOAuthFlows` without
   * it, and the client's token requests then get `invalid_grant`. The definition's clients
   * have it exactly when they list a flow.
   */
  allowedOAuthFlowsUserPoolClient: boolean;
  /** The client's active secrets, in the order of its `clientSecret` values (oldest first). */
  secrets: readonly ClientSecretDescriptor[];
  /**
   * The secret DescribeUserPoolClient shows as `ClientSecret`: the one the client was created
   * with (a pool file client's first), while it lasts. Cognito shows no added secret there,
   * and none at all once that one is deleted.
   */
  describedSecretId: string | null;
}

/** The changes made through the control plane on top of the pool file (the state file's content). */
export interface PoolOverlay {
  userPoolId: string;
  /** Set once UpdateUserPool has changed the pool's settings. */
  userPool?: PoolSettings;
  resourceServers: PoolResourceServer[];
  clients: { client: PoolClient; meta: ClientMeta }[];
  deletedResourceServers: string[];
  deletedClients: string[];
}

interface StoredClient {
  client: PoolClient;
  meta: ClientMeta;
  /** SHA-256 of each active secret, computed once per change (not per request). */
  secretDigests: readonly Buffer[];
}

/**
 * The user pool as it is now: the pool file, with what the control plane created, changed
 * or deleted layered on top. Every endpoint reads clients, resource servers and users here,
 * so a client created through the AWS SDK works at once and a deleted one stops at once.
 */
export class PoolStore {
  readonly userPoolId: string;
  /** Unix seconds: when this process loaded the pool (Cognito's CreationDate of what the file declares). */
  readonly loadedAt: number;
  private readonly base: Pool;
  private current: PoolSettings;
  private settingsChanged = false;
  private readonly servers = new Map<string, PoolResourceServer>();
  private readonly clientsById = new Map<string, StoredClient>();
  private readonly users: ReadonlyMap<string, PoolUser>;
  private readonly changedServers = new Set<string>();
  private readonly deletedServers = new Set<string>();
  private readonly changedClients = new Set<string>();
  private readonly deletedClients = new Set<string>();

  constructor(pool: Pool, overlay?: PoolOverlay, now = Math.floor(Date.now() / 1000)) {
    this.base = pool;
    this.userPoolId = pool.userPoolId;
    this.loadedAt = now;
    const { userPool } = pool;
    const trigger = userPool.lambdaConfig?.preTokenGenerationConfig;
    this.current = {
      userPoolName: userPool.userPoolName ?? pool.userPoolId,
      deletionProtection: userPool.deletionProtection,
      allowAdminCreateUserOnly: userPool.allowAdminCreateUserOnly,
      issuerType: userPool.issuerConfiguration.type,
      ...(trigger && {
        preTokenGeneration: {
          lambdaVersion: trigger.lambdaVersion,
          lambdaArn: triggerFunctionArn(pool.userPoolId, trigger.module),
        },
      }),
      lastModifiedAt: now,
    };
    for (const rs of pool.resourceServers) this.servers.set(rs.identifier, rs);
    for (const client of pool.clients) {
      const secrets = secretDescriptors(
        client.clientId,
        clientSecretsOf(client).length,
        now * 1000,
      );
      this.setClient(client, {
        createdAt: now,
        lastModifiedAt: now,
        allowedOAuthFlowsUserPoolClient: client.allowedOAuthFlows.length > 0,
        secrets,
        describedSecretId: secrets[0]?.id ?? null,
      });
    }
    this.users = new Map(pool.users.map((u) => [u.username, u]));
    if (overlay) this.apply(overlay);
  }

  /** The pool's settings now. */
  get settings(): Readonly<PoolSettings> {
    return this.current;
  }

  get userPoolName(): string {
    return this.current.userPoolName;
  }

  /** Replaces the pool's settings (UpdateUserPool). */
  putSettings(settings: PoolSettings): void {
    this.current = settings;
    this.settingsChanged = true;
  }

  private apply(overlay: PoolOverlay): void {
    if (overlay.userPool) this.putSettings(overlay.userPool);
    for (const id of overlay.deletedResourceServers) this.deleteResourceServer(id);
    for (const id of overlay.deletedClients) this.deleteClient(id);
    for (const rs of overlay.resourceServers) this.putResourceServer(rs);
    for (const { client, meta } of overlay.clients) this.putClient(client, meta);
  }

  client(clientId: string): PoolClient | undefined {
    return this.clientsById.get(clientId)?.client;
  }

  clientMeta(clientId: string): ClientMeta | undefined {
    return this.clientsById.get(clientId)?.meta;
  }

  /** SHA-256 of each active secret of a client; none for unknown and public clients. */
  secretDigests(clientId: string): readonly Buffer[] {
    return this.clientsById.get(clientId)?.secretDigests ?? [];
  }

  /**
   * Adds an active secret to an existing client, created now (or just after its newest one);
   * its token requests take it at once. The caller keeps Cognito's rules (a confidential
   * client, at most two secrets).
   */
  addClientSecret(clientId: string, value: string, nowMs: number): ClientSecretDescriptor {
    const { client, meta } = this.clientsById.get(clientId)!;
    const added = nextSecretDescriptor(clientId, meta.secrets, nowMs);
    this.putClient(
      { ...client, clientSecret: [...clientSecretsOf(client), value] },
      { ...meta, secrets: [...meta.secrets, added] },
    );
    return added;
  }

  /**
   * Removes an active secret from a client; token requests with it fail at once. The caller
   * keeps Cognito's rules (the secret exists and is not the last).
   */
  deleteClientSecret(clientId: string, secretId: string): void {
    const { client, meta } = this.clientsById.get(clientId)!;
    const values = clientSecretsOf(client);
    const kept = meta.secrets.flatMap((s, i) =>
      s.id === secretId ? [] : [{ s, value: values[i] }],
    );
    const remaining = kept.map((k) => k.value);
    this.putClient(
      { ...client, clientSecret: remaining.length === 1 ? remaining[0] : remaining },
      {
        ...meta,
        secrets: kept.map((k) => k.s),
        describedSecretId: meta.describedSecretId === secretId ? null : meta.describedSecretId,
      },
    );
  }

  /** Every client, in creation order. */
  clients(): PoolClient[] {
    return [...this.clientsById.values()].map((c) => c.client);
  }

  resourceServer(identifier: string): PoolResourceServer | undefined {
    return this.servers.get(identifier);
  }

  resourceServers(): PoolResourceServer[] {
    return [...this.servers.values()];
  }

  /** True for a standard scope and for one a resource server declares (`identifier/name`). */
  hasScope(scope: string): boolean {
    return scopeExists(scope, (identifier) => this.servers.get(identifier));
  }

  user(username: string): PoolUser | undefined {
    return this.users.get(username);
  }

  get userCount(): number {
    return this.users.size;
  }

  /** The longest access- or ID-token lifetime any client has now, in seconds. */
  maxTokenValiditySeconds(): number {
    return this.clients().reduce(
      (max, c) =>
        Math.max(max, tokenValiditySeconds(c, 'accessToken'), tokenValiditySeconds(c, 'idToken')),
      300,
    );
  }

  /** Creates or replaces a resource server; scopes it no longer declares leave every client. */
  putResourceServer(rs: PoolResourceServer): void {
    this.servers.set(rs.identifier, rs);
    this.changedServers.add(rs.identifier);
    this.deletedServers.delete(rs.identifier);
    this.pruneClientScopes();
  }

  deleteResourceServer(identifier: string): void {
    this.servers.delete(identifier);
    this.changedServers.delete(identifier);
    if (this.base.resourceServers.some((rs) => rs.identifier === identifier)) {
      this.deletedServers.add(identifier);
    }
    this.pruneClientScopes();
  }

  putClient(client: PoolClient, meta: ClientMeta): void {
    this.setClient(client, meta);
    this.changedClients.add(client.clientId);
    this.deletedClients.delete(client.clientId);
  }

  deleteClient(clientId: string): void {
    this.clientsById.delete(clientId);
    this.changedClients.delete(clientId);
    if (this.base.clients.some((c) => c.clientId === clientId)) this.deletedClients.add(clientId);
  }

  /** What differs from the pool file, for the state file. */
  overlay(): PoolOverlay {
    return {
      userPoolId: this.userPoolId,
      ...(this.settingsChanged && { userPool: this.current }),
      resourceServers: [...this.changedServers].map((id) => this.servers.get(id)!),
      clients: [...this.changedClients].map((id) => {
        const { client, meta } = this.clientsById.get(id)!;
        return { client, meta };
      }),
      deletedResourceServers: [...this.deletedServers],
      deletedClients: [...this.deletedClients],
    };
  }

  private setClient(client: PoolClient, meta: ClientMeta): void {
    const values = clientSecretsOf(client);
    if (values.length !== meta.secrets.length) {
      throw new Error(
        `client ${client.clientId} has ${values.length} secrets but ${meta.secrets.length} descriptors`,
      );
    }
    this.clientsById.set(client.clientId, { client, meta, secretDigests: values.map(sha256) });
  }

  private pruneClientScopes(): void {
    for (const [id, stored] of this.clientsById) {
      const kept = stored.client.allowedOAuthScopes.filter((s) => this.hasScope(s));
      if (kept.length === stored.client.allowedOAuthScopes.length) continue;
      stored.client = { ...stored.client, allowedOAuthScopes: kept };
      this.changedClients.add(id);
    }
  }
}
