// The rotation of one app client's secret, as Secrets Manager's four rotation steps, behind
// three narrow interfaces: where callers read the secret (a Secrets Manager secret, a file),
// the client's secrets in Cognito, and a check that a secret gets a token. No AWS SDK and no
// CDK here: the Lambda function (rotation.handler.ts) and `npm run rotate-secret`
// (rotate-secret.main.ts) give the same steps their backends.

/**
 * What callers of the client read: `{"clientId", "clientSecret"}` as plain JSON, which the
 * client library's file and Secrets Manager sources take as they are. `clientSecretId` is
 * Cognito's id of that secret (`ClientSecretId`), written by a rotation so that the next one
 * knows which of the client's secrets callers use; a secret written by CloudFormation has
 * none.
 */
export interface PublishedClientSecret {
  clientId: string;
  clientSecret: string;
  clientSecretId?: string;
}

/** Where the client's callers read its secret, as one rotation sees it. */
export interface SecretPublication {
  /** What callers read now (Secrets Manager's `AWSCURRENT`, the file); undefined when none yet. */
  current(): Promise<PublishedClientSecret | undefined>;
  /** This rotation's new secret, once kept by {@link putPending} (`AWSPENDING`). */
  pending(): Promise<PublishedClientSecret | undefined>;
  /** Keeps `next` as this rotation's new secret, not yet read by callers. */
  putPending(next: PublishedClientSecret): Promise<void>;
  /** Makes the pending secret the one callers read; nothing when it already is. */
  promote(): Promise<void>;
}

/** A client secret as Cognito lists it (`ListUserPoolClientSecrets`): never its value. */
export interface CognitoSecretDescriptor {
  id: string;
  createdAt: Date;
}

/** One app client's secrets in Cognito (`*UserPoolClientSecret`). */
export interface CognitoClientSecrets {
  list(): Promise<CognitoSecretDescriptor[]>;
  /** Adds a secret that Cognito generates; the only answer holding its value. */
  add(): Promise<{ id: string; value: string }>;
  delete(id: string): Promise<void>;
}

/** Gets a token for `clientId` with `clientSecret`; throws when the issuer refuses it. */
export type SecretCheck = (clientId: string, clientSecret: string) => Promise<void>;

/** What a rotation did, for its log: ids and steps, never a secret. */
export type RotationEvent =
  | { step: 'createSecret'; event: 'already_created' }
  | { step: 'createSecret' | 'endGrace'; event: 'retired'; clientSecretId: string }
  | { step: 'createSecret'; event: 'added'; clientSecretId: string }
  | { step: 'setSecret'; event: 'in_cognito'; clientSecretId: string }
  | { step: 'testSecret'; event: 'token_issued'; clientSecretId: string }
  | { step: 'finishSecret'; event: 'published'; clientSecretId: string };

/** Why a rotation step stopped; `code` is stable, the message names ids and never a secret. */
export class RotationError extends Error {
  constructor(
    readonly code:
      | 'client_mismatch'
      | 'current_secret_unknown'
      | 'current_secret_gone'
      | 'pending_secret_missing'
      | 'secret_check_failed'
      | 'invalid_published_secret'
      | 'rotation_not_pending',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RotationError';
  }
}

/** The parts of one rotation of one client's secret. */
export interface ClientSecretRotationOptions {
  clientId: string;
  publication: SecretPublication;
  cognito: CognitoClientSecrets;
  check: SecretCheck;
  /** Told each thing done, for a log line. */
  onEvent?: (event: RotationEvent) => void;
}

/**
 * One rotation of an app client's secret in Secrets Manager's four steps, each safe to run
 * again (a step that failed halfway is retried, or the next rotation cleans up after it):
 *
 * 1. `createSecret`: unless this rotation's secret exists, deletes every Cognito secret of the
 *    client except the one callers read now (normally the one they read before the last
 *    rotation: its grace period ends here; or one a failed rotation added and never
 *    published), then has Cognito generate a new one and keeps it as pending.
 * 2. `setSecret`: the secret already lives in Cognito (Cognito made it); checks it still does.
 * 3. `testSecret`: gets a token with the new secret.
 * 4. `finishSecret`: publishes it (`AWSCURRENT`, the file). The secret it replaces stays active
 *    in Cognito until the next rotation's `createSecret`: callers that have not read the new
 *    one yet keep working for a whole rotation interval.
 *
 * @example
 * ```ts
 * const rotation = new ClientSecretRotation({ clientId, publication, cognito, check });
 * await rotation.rotate(); // or one step: await rotation.step('createSecret')
 * ```
 */
export class ClientSecretRotation {
  constructor(private readonly options: ClientSecretRotationOptions) {}

  /** Runs one of Secrets Manager's steps by its name. */
  step(name: RotationStep): Promise<void> {
    return this[name]();
  }

  /** The four steps in order, as one rotation by hand. */
  async rotate(): Promise<void> {
    for (const name of ROTATION_STEPS) await this.step(name);
  }

  async createSecret(): Promise<void> {
    const { publication, cognito } = this.options;
    if (await this.pendingOrUndefined()) {
      this.emit({ step: 'createSecret', event: 'already_created' });
      return;
    }
    const current = await publication.current();
    await this.retireAllBut(current, 'createSecret');
    const added = await cognito.add();
    this.emit({ step: 'createSecret', event: 'added', clientSecretId: added.id });
    await publication.putPending({
      clientId: this.options.clientId,
      clientSecret: added.value,
      clientSecretId: added.id,
    });
  }

  async setSecret(): Promise<void> {
    const pending = await this.pending();
    const secrets = await this.options.cognito.list();
    if (!secrets.some((s) => s.id === pending.clientSecretId)) {
      throw new RotationError(
        'pending_secret_missing',
        `client ${this.options.clientId}: the new secret ${pending.clientSecretId} is no longer active in Cognito`,
      );
    }
    this.emit({ step: 'setSecret', event: 'in_cognito', clientSecretId: pending.clientSecretId! });
  }

  async testSecret(): Promise<void> {
    const pending = await this.pending();
    try {
      await this.options.check(this.options.clientId, pending.clientSecret);
    } catch (cause) {
      throw new RotationError(
        'secret_check_failed',
        `client ${this.options.clientId}: no token with the new secret ${pending.clientSecretId}: ${(cause as Error).message}`,
        { cause },
      );
    }
    this.emit({
      step: 'testSecret',
      event: 'token_issued',
      clientSecretId: pending.clientSecretId!,
    });
  }

  async finishSecret(): Promise<void> {
    const pending = await this.pending();
    await this.options.publication.promote();
    this.emit({
      step: 'finishSecret',
      event: 'published',
      clientSecretId: pending.clientSecretId!,
    });
  }

  /**
   * Ends the grace period now, after {@link finishSecret}: deletes every Cognito secret of the
   * client but the published one (after a leak, the replaced secret must stop working at once;
   * a caller still holding it gets `invalid_client` once, and the client library then reads
   * its source again).
   */
  async endGrace(): Promise<void> {
    const current = await this.options.publication.current();
    if (current?.clientSecretId === undefined) {
      throw new RotationError(
        'current_secret_unknown',
        `client ${this.options.clientId}: the published secret names no clientSecretId: rotate first`,
      );
    }
    await this.retireAllBut(current, 'endGrace');
  }

  /** Deletes every Cognito secret of the client except the one `current` is. */
  private async retireAllBut(
    current: PublishedClientSecret | undefined,
    step: 'createSecret' | 'endGrace',
  ): Promise<void> {
    if (current) this.ownedBy(current, 'the published secret');
    const secrets = await this.options.cognito.list();
    const keep = this.inUse(current, secrets);
    for (const secret of secrets) {
      if (secret.id === keep) continue;
      await this.options.cognito.delete(secret.id);
      this.emit({ step, event: 'retired', clientSecretId: secret.id });
    }
  }

  private async pendingOrUndefined(): Promise<PublishedClientSecret | undefined> {
    const pending = await this.options.publication.pending();
    return pending && this.ownedBy(pending, 'the new secret');
  }

  private async pending(): Promise<PublishedClientSecret> {
    const pending = await this.pendingOrUndefined();
    if (!pending?.clientSecretId) {
      throw new RotationError(
        'rotation_not_pending',
        `client ${this.options.clientId}: no new secret of this rotation (createSecret first)`,
      );
    }
    return pending;
  }

  /** The published secret must be this client's: a rotation never writes another's. */
  private ownedBy(secret: PublishedClientSecret, what: string): PublishedClientSecret {
    if (secret.clientId !== this.options.clientId) {
      throw new RotationError(
        'client_mismatch',
        `${what} belongs to client ${secret.clientId}, not ${this.options.clientId}`,
      );
    }
    return secret;
  }

  /** The id of the Cognito secret that callers read now: the one createSecret keeps. */
  private inUse(
    current: PublishedClientSecret | undefined,
    secrets: readonly CognitoSecretDescriptor[],
  ): string {
    const { clientId } = this.options;
    if (current?.clientSecretId !== undefined) {
      if (secrets.some((s) => s.id === current.clientSecretId)) return current.clientSecretId;
      throw new RotationError(
        'current_secret_gone',
        `client ${clientId}: the published secret ${current.clientSecretId} is not active in Cognito; callers cannot use it. Publish an active secret (or delete the client's other secret) and rotate again`,
      );
    }
    // Written by CloudFormation, or by hand: with one secret in Cognito, it is that one.
    if (secrets.length === 1) return secrets[0].id;
    throw new RotationError(
      'current_secret_unknown',
      `client ${clientId} has ${secrets.length} secrets in Cognito (${secrets.map((s) => `${s.id} created ${s.createdAt.toISOString()}`).join(', ')}) and the published secret does not name its clientSecretId: delete the one callers do not use (aws cognito-idp delete-user-pool-client-secret; after a first rotation that failed, the newer one), then rotate again`,
    );
  }

  private emit(event: RotationEvent): void {
    this.options.onEvent?.(event);
  }
}

/** Secrets Manager's rotation steps, in the order it runs them. */
export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
/** One of {@link ROTATION_STEPS}. */
export type RotationStep = (typeof ROTATION_STEPS)[number];

const MAX_PUBLISHED_BYTES = 4096;

/**
 * Reads what a publication holds: `{"clientId", "clientSecret", "clientSecretId"?}` JSON, or
 * the secret alone (a file written by hand), taken as `clientId`'s. Throws
 * {@link RotationError} `invalid_published_secret` naming what is wrong, never the value.
 *
 * @example
 * ```ts
 * parsePublishedSecret('{"clientId":"abc","clientSecret":"s3cr3t"}', 'abc');
 * ```
 */
export function parsePublishedSecret(text: string, clientId: string): PublishedClientSecret {
  const invalid = (why: string) => new RotationError('invalid_published_secret', why);
  if (Buffer.byteLength(text) > MAX_PUBLISHED_BYTES) {
    throw invalid(`the published secret is over ${MAX_PUBLISHED_BYTES} bytes`);
  }
  const value = text.replace(/[\r\n]+$/, '');
  if (!value.trimStart().startsWith('{')) {
    if (value === '' || /\s/.test(value)) {
      throw invalid('the published secret is neither JSON nor one secret');
    }
    return { clientId, clientSecret: value };
  }
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(value) as Record<string, unknown>;
  } catch {
    throw invalid('the published secret is not valid JSON');
  }
  const field = (name: string) =>
    typeof fields[name] === 'string' && fields[name] !== '' ? fields[name] : undefined;
  const secret = field('clientSecret');
  const owner = field('clientId');
  const id = field('clientSecretId');
  if (secret === undefined) throw invalid('the published secret has no "clientSecret" string');
  if (owner === undefined) throw invalid('the published secret has no "clientId" string');
  if (fields.clientSecretId !== undefined && id === undefined) {
    throw invalid('the published secret\'s "clientSecretId" is not a string');
  }
  return { clientId: owner, clientSecret: secret, ...(id !== undefined && { clientSecretId: id }) };
}

/** The JSON a publication holds, the shape {@link parsePublishedSecret} reads. */
export function formatPublishedSecret(secret: PublishedClientSecret): string {
  return JSON.stringify({
    clientId: secret.clientId,
    clientSecret: secret.clientSecret,
    ...(secret.clientSecretId !== undefined && { clientSecretId: secret.clientSecretId }),
  });
}
