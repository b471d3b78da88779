import { closeSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { numberOption } from '../shared/number-option.js';
import { ClientSecretUnavailableError, M2MClientConfigError } from './client.errors.js';

/**
 * Where a client's secret comes from, read again while the client runs: the secret may
 * change (a rotation) without a restart. The provider asks `current()` on every call, a
 * field read that may start a look at the source in the background; it waits for `reload()`
 * only before its first token and after the issuer refused the secret (`invalid_client`),
 * and asks the issuer again only when the secret it got differs.
 *
 * A source never puts its value in an error, a log line or a metric.
 *
 * @example
 * ```ts
 * new TokenProvider({ tokenUrl, clientId, scopes, clientSecret: new FileClientSecret('/run/secrets/m2m') });
 * ```
 */
export interface ClientSecretSource {
  /** Names the kind of source in logs and errors: `file`, `Secrets Manager`. */
  readonly kind: string;
  /**
   * The secret as last read, or `undefined` before a first read has completed. When the
   * last look at the source is older than its interval, starts another in the background.
   */
  current(): string | undefined;
  /**
   * Reads the source now (concurrent calls share one read) and resolves its secret; rejects
   * with a {@link ClientSecretUnavailableError} and keeps the last secret read.
   */
  reload(): Promise<string>;
}

/**
 * The most a secret's file or Secrets Manager value may hold: Secrets Manager's own limit
 * for a secret string (65,536 bytes). A Cognito client secret is 51 characters.
 */
export const MAX_SECRET_BYTES = 64 * 1024;

/** A reason code of a secret that could not be read or used. */
type Unreadable = { reason: string };

/**
 * The secret in what a source holds, in either shape a rotation may store:
 * - the secret itself (a trailing newline, as `echo` and editors leave, is dropped);
 * - JSON `{"clientSecret": "...", "clientId": "..."}` (`clientId` optional; when present it
 *   must be this client's: a secret of another client is refused, not sent).
 */
export function secretFromText(text: string, clientId: string | undefined): string | Unreadable {
  const value = text.replace(/[\r\n]+$/, '');
  if (value === '') return { reason: 'empty' };
  if (value.trimStart().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return { reason: 'invalid_json' };
    }
    const fields = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
      string,
      unknown
    >;
    if (typeof fields.clientSecret !== 'string' || fields.clientSecret === '') {
      return { reason: 'no_client_secret' };
    }
    if (fields.clientId !== undefined && clientId !== undefined && fields.clientId !== clientId) {
      return { reason: 'client_id_mismatch' };
    }
    return fields.clientSecret;
  }
  // A secret is one line of printable characters: anything else is not one (a binary file).
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) return { reason: 'not_text' };
  return value;
}

/** Which file `stats` describe and which version of it: a change of either is a change. */
function signature(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

function errnoReason(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]{2,15}$/.test(code) ? code : 'unreadable';
}

/** A fixed secret (an option, an environment variable): nothing to look at again. */
export function fixedSecret(secret: string): ClientSecretSource {
  const value = Promise.resolve(secret);
  return { kind: 'option', current: () => secret, reload: () => value };
}

/** What {@link FileClientSecret} takes besides the path. */
export interface FileClientSecretOptions {
  /** When the file holds JSON naming a `clientId`, it must be this one. */
  clientId?: string;
  /**
   * How often a call may look whether the file changed: a `stat` in the background, and a
   * read when it did. Default 1,000 ms.
   */
  checkIntervalMs?: number;
}

/**
 * A client secret in a file, as Kubernetes and ECS mount secrets: read at construction (a
 * missing, unreadable, empty or oversized file stops start-up), then looked at again
 * (`stat`) at most once per `checkIntervalMs` by a call, and read again when it changed.
 * `stat` follows symbolic links, so a Kubernetes update, which swaps the `..data` link of
 * the secret's folder to a new folder atomically, is a new file (another inode); a file
 * replaced or written in place changes its size or times. A read that fails (a file
 * half-written, gone for a moment) keeps the last secret; the next look tries again.
 * At most {@link MAX_SECRET_BYTES}; the secret itself or `{"clientSecret": ...}` JSON.
 *
 * @example
 * ```ts
 * const clientSecret = new FileClientSecret('/var/run/secrets/m2m/client-secret', { clientId });
 * M2MClientModule.register({ name: 'inventory-api', tokenUrl, clientId, clientSecret });
 * ```
 */
export class FileClientSecret implements ClientSecretSource {
  readonly kind = 'file';
  private value = '';
  private version = '';
  private checkedAt = Date.now();
  private checking = false;
  private readonly clientId: string | undefined;
  private readonly checkIntervalMs: number;

  constructor(
    readonly path: string,
    options: FileClientSecretOptions = {},
  ) {
    this.clientId = options.clientId;
    this.checkIntervalMs = numberOption(
      'checkIntervalMs',
      options.checkIntervalMs,
      1_000,
      { min: 0 },
      (name, why) => {
        throw new M2MClientConfigError(name, why);
      },
    );
    // Read now: a file that cannot serve stops start-up.
    this.read();
  }

  current(): string {
    if (!this.checking && Date.now() - this.checkedAt >= this.checkIntervalMs) {
      this.checking = true;
      void this.check().finally(() => {
        this.checkedAt = Date.now();
        this.checking = false;
      });
    }
    return this.value;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- a throw becomes a rejection
  async reload(): Promise<string> {
    return this.read();
  }

  private async check(): Promise<void> {
    try {
      if (signature(await stat(this.path)) !== this.version) this.read();
    } catch {
      // The last secret stays; the next look tries again.
    }
  }

  /**
   * The file as it is now, or a {@link ClientSecretUnavailableError}. Synchronous: the first
   * read stops start-up; a later one happens when the file changed (at most 64 KiB, once).
   */
  private read(): string {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (error) {
      throw new ClientSecretUnavailableError(this.kind, errnoReason(error));
    }
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile()) throw new ClientSecretUnavailableError(this.kind, 'not_a_file');
      const buffer = Buffer.alloc(MAX_SECRET_BYTES + 1);
      const bytesRead = readSync(fd, buffer, 0, buffer.length, 0);
      return this.accept(buffer.subarray(0, bytesRead), signature(stats));
    } catch (error) {
      if (error instanceof ClientSecretUnavailableError) throw error;
      throw new ClientSecretUnavailableError(this.kind, errnoReason(error));
    } finally {
      closeSync(fd);
    }
  }

  private accept(bytes: Buffer, version: string): string {
    if (bytes.length > MAX_SECRET_BYTES) {
      throw new ClientSecretUnavailableError(this.kind, 'too_large');
    }
    const secret = secretFromText(bytes.toString('utf8'), this.clientId);
    if (typeof secret !== 'string')
      throw new ClientSecretUnavailableError(this.kind, secret.reason);
    this.value = secret;
    this.version = version;
    return secret;
  }
}

/** An ARN of a Secrets Manager secret; its region is the fourth field. */
const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:secret:[\w/+=.@-]+$/;

/** What {@link SecretsManagerClientSecret} takes besides the ARN. */
export interface SecretsManagerClientSecretOptions {
  /** When the secret holds JSON naming a `clientId`, it must be this one. */
  clientId?: string;
  /** How often a call may have the secret read again, in the background. Default 60,000 ms. */
  refreshIntervalMs?: number;
  /** Deadline of one `GetSecretValue`, its retries included: then aborted. Default 5,000 ms. */
  timeoutMs?: number;
  /**
   * Given to the SDK's `SecretsManagerClient` over the defaults (the region of the ARN, two
   * attempts): `endpoint`, `credentials`, ... Without it, the SDK's own chain (environment,
   * `AWS_ENDPOINT_URL_SECRETS_MANAGER`, the task or instance role).
   */
  clientConfig?: Record<string, unknown>;
}

type SecretsManagerModule = typeof import('@aws-sdk/client-secrets-manager');

/**
 * A client secret in AWS Secrets Manager (the `AWSCURRENT` version), read through
 * `@aws-sdk/client-secrets-manager`, an optional peer loaded by the first read (a client
 * without this source never loads it). Read before the first token; then again, in the
 * background, at most once per `refreshIntervalMs` (calls meanwhile use the secret in hand,
 * also while a read fails), and at once after the issuer refused the secret. Each read has
 * a deadline (`timeoutMs`, aborted then) and a value of at most {@link MAX_SECRET_BYTES}.
 * The secret string is the secret itself or `{"clientSecret": ..., "clientId": ...}` JSON.
 * Needs `secretsmanager:GetSecretValue` on the secret (and `kms:Decrypt` with a customer key).
 *
 * @example
 * ```ts
 * const clientSecret = new SecretsManagerClientSecret(
 *   'arn:aws:secretsmanager:eu-west-1:123456789012:secret:m2m/inventory-AbCdEf',
 *   { clientId },
 * );
 * ```
 */
export class SecretsManagerClientSecret implements ClientSecretSource {
  readonly kind = 'Secrets Manager';
  private value: string | undefined;
  private readAt = 0;
  private reading: Promise<string> | undefined;
  private sdk: Promise<{ module: SecretsManagerModule; client: unknown }> | undefined;
  private readonly region: string;
  private readonly refreshIntervalMs: number;
  private readonly timeoutMs: number;

  constructor(
    readonly secretId: string,
    private readonly options: SecretsManagerClientSecretOptions = {},
  ) {
    const fail = (name: string, why: string): never => {
      throw new M2MClientConfigError(name, why);
    };
    const region = SECRET_ARN.exec(secretId)?.[1];
    if (region === undefined) fail('clientSecret', 'must name a Secrets Manager secret by its ARN');
    this.region = region!;
    this.refreshIntervalMs = numberOption(
      'refreshIntervalMs',
      options.refreshIntervalMs,
      60_000,
      { min: 1_000 },
      fail,
    );
    this.timeoutMs = numberOption('timeoutMs', options.timeoutMs, 5_000, { min: 1 }, fail);
  }

  current(): string | undefined {
    if (
      this.value !== undefined &&
      this.reading === undefined &&
      Date.now() - this.readAt >= this.refreshIntervalMs
    ) {
      // The secret in hand serves meanwhile, and after a failure (tried again next interval).
      this.reload().catch(() => undefined);
    }
    return this.value;
  }

  reload(): Promise<string> {
    this.reading ??= this.read().finally(() => {
      this.readAt = Date.now();
      this.reading = undefined;
    });
    return this.reading;
  }

  private async read(): Promise<string> {
    let text: unknown;
    try {
      const { module, client } = await (this.sdk ??= this.load());
      const answer = await (
        client as InstanceType<SecretsManagerModule['SecretsManagerClient']>
      ).send(new module.GetSecretValueCommand({ SecretId: this.secretId }), {
        abortSignal: AbortSignal.timeout(this.timeoutMs),
      });
      if (answer.SecretString === undefined) {
        throw new ClientSecretUnavailableError(this.kind, 'not_a_string');
      }
      text = answer.SecretString;
    } catch (error) {
      if (error instanceof ClientSecretUnavailableError) throw error;
      throw new ClientSecretUnavailableError(this.kind, sdkReason(error));
    }
    if (Buffer.byteLength(text as string) > MAX_SECRET_BYTES) {
      throw new ClientSecretUnavailableError(this.kind, 'too_large');
    }
    const secret = secretFromText(text as string, this.options.clientId);
    if (typeof secret !== 'string')
      throw new ClientSecretUnavailableError(this.kind, secret.reason);
    this.value = secret;
    return secret;
  }

  private async load(): Promise<{ module: SecretsManagerModule; client: unknown }> {
    let module: SecretsManagerModule;
    try {
      module = await import('@aws-sdk/client-secrets-manager');
    } catch (cause) {
      this.sdk = undefined;
      throw new ClientSecretUnavailableError(this.kind, 'sdk_not_installed', { cause });
    }
    const client = new module.SecretsManagerClient({
      region: this.region,
      maxAttempts: 2,
      ...this.options.clientConfig,
    });
    return { module, client };
  }
}

/** An SDK failure as a code: the AWS error's name, or a timeout; never its message. */
function sdkReason(error: unknown): string {
  if (!(error instanceof Error)) return 'unreadable';
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return 'timeout';
  return /^[A-Za-z][\w.]{1,63}$/.test(error.name) ? error.name : 'unreadable';
}
