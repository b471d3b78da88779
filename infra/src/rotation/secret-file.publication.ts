import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  formatPublishedSecret,
  parsePublishedSecret,
  type PublishedClientSecret,
  RotationError,
  type SecretPublication,
} from './client-secret-rotation.js';

/** The most of a secret file that is read. */
const MAX_FILE_BYTES = 4096;

/**
 * A client secret published as a file, the way Kubernetes and ECS mount secrets and the client
 * library's file source (`OAUTH_CLIENT_SECRET_FILE`) reads it: the file holds what callers use
 * now (JSON, or the secret alone when written by hand; none yet when it is missing). A
 * rotation's new secret stays in this process until {@link promote}, which replaces the file
 * at once (a new file renamed over it, mode 0600), so a reader never sees half of it.
 *
 * @example
 * ```ts
 * const publication = new SecretFilePublication('/run/secrets/m2m-client', clientId);
 * await new ClientSecretRotation({ clientId, publication, cognito, check }).rotate();
 * ```
 */
export class SecretFilePublication implements SecretPublication {
  private next: PublishedClientSecret | undefined;

  constructor(
    readonly path: string,
    private readonly clientId: string,
  ) {}

  async current(): Promise<PublishedClientSecret | undefined> {
    let file;
    try {
      file = await open(this.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const buffer = Buffer.alloc(MAX_FILE_BYTES + 1);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
      if (bytesRead > MAX_FILE_BYTES) {
        throw new RotationError(
          'invalid_published_secret',
          `${this.path} is over ${MAX_FILE_BYTES} bytes: not a client secret`,
        );
      }
      return parsePublishedSecret(buffer.subarray(0, bytesRead).toString('utf8'), this.clientId);
    } finally {
      await file.close();
    }
  }

  pending(): Promise<PublishedClientSecret | undefined> {
    return Promise.resolve(this.next);
  }

  putPending(next: PublishedClientSecret): Promise<void> {
    this.next = next;
    return Promise.resolve();
  }

  async promote(): Promise<void> {
    if (!this.next) {
      throw new RotationError('rotation_not_pending', `nothing to publish to ${this.path}`);
    }
    const staged = join(
      dirname(this.path),
      `.${basename(this.path)}.${randomBytes(6).toString('hex')}.tmp`,
    );
    const file = await open(staged, 'wx', 0o600);
    try {
      await file.writeFile(`${formatPublishedSecret(this.next)}\n`);
      await file.sync();
    } catch (error) {
      await file.close();
      await rm(staged, { force: true });
      throw error;
    }
    await file.close();
    await rename(staged, this.path);
  }
}
