import type { PoolDocument } from '@app/fleet-auth';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { StartedEmulator } from '../src/bootstrap.js';

export const DEMO_POOL = new URL('../../../libs/fleet-auth/pool.json', import.meta.url).pathname;
export const CALLER = { id: 'weather-caller', secret: 'weather-caller-dev-secret' };
export const ADMIN = { id: 'weather-admin', secret: 'weather-admin-dev-secret' };
export const READ = 'weather-api/forecast.read';
export const WRITE = 'weather-api/forecast.write';
export const FORM = 'application/x-www-form-urlencoded';
export const POOL_ID = 'us-east-1_Weather01';

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

export function decode(token: string): {
  header: ReturnType<typeof decodeProtectedHeader>;
  claims: ReturnType<typeof decodeJwt>;
} {
  return { header: decodeProtectedHeader(token), claims: decodeJwt(token) };
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'cognito-emulator-'));
}

/** Writes a copy of the demo pool, changed by `edit`, and returns its path. */
export async function writePool(edit: (pool: PoolDocument) => void): Promise<string> {
  const pool = JSON.parse(await readFile(DEMO_POOL, 'utf8')) as PoolDocument;
  edit(pool);
  const file = join(await tempDir(), 'pool.json');
  await writeFile(file, JSON.stringify(pool));
  return file;
}

/** The AWS SDK v3 client pointed at an emulator, as the README shows it. */
export function sdk(emu: StartedEmulator): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint: emu.url,
    region: 'us-east-1',
    // Dummy credentials: the emulator accepts SigV4 signatures unverified.
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'dev-only-not-a-secret' },
    maxAttempts: 1,
  });
}

/** The error the SDK raised: its name (Cognito's `__type`), HTTP status and message. */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await promise;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  throw new Error('expected the call to fail');
}

/** An AWS SDK call that must fail: [case, call, Cognito's `__type`, its message where known]. */
export type ErrorCase = [string, () => Promise<unknown>, string, string?];

/** One test per case: the call fails with 400, that `__type` and, where given, that message. */
export function itAnswersEachError(cases: readonly ErrorCase[]): void {
  it.each(cases.map(([name, call, type, message]) => [name, type, call, message] as const))(
    '%s → %s',
    async (_name, type, call, message) => {
      const err = await failure(call());
      expect(err.name).toBe(type);
      expect(err.status).toBe(400);
      if (message !== undefined) expect(err.message).toBe(message);
    },
  );
}
