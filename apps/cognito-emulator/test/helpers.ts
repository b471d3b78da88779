import { triggerModulePath, type PoolDocument } from '@app/fleet-auth';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startEmulator, type StartedEmulator } from '../src/bootstrap.js';

export const DEMO_POOL = new URL('../../../libs/fleet-auth/pool.json', import.meta.url).pathname;
export const CALLER = { id: 'weather-caller', secret: 'weather-caller-dev-secret' };
export const ADMIN = { id: 'weather-admin', secret: 'weather-admin-dev-secret' };
export const READ = 'weather-api/forecast.read';
export const WRITE = 'weather-api/forecast.write';
export const FORM = 'application/x-www-form-urlencoded';
/** The claims of a client-credentials access token, as Cognito writes them (sorted). */
export const CLIENT_CREDENTIALS_CLAIMS = [
  'auth_time',
  'client_id',
  'exp',
  'iat',
  'iss',
  'jti',
  'scope',
  'sub',
  'token_use',
  'version',
];
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

/**
 * Writes a copy of the demo pool, changed by `edit`, and returns its path. The copy names
 * the demo trigger module by its absolute path (a relative one is relative to the pool file).
 */
export async function writePool(edit: (pool: PoolDocument) => void): Promise<string> {
  const pool = JSON.parse(await readFile(DEMO_POOL, 'utf8')) as PoolDocument;
  const trigger = pool.userPool?.lambdaConfig?.preTokenGenerationConfig;
  if (trigger) trigger.module = triggerModulePath(DEMO_POOL, trigger.module);
  edit(pool);
  const file = join(await tempDir(), 'pool.json');
  await writeFile(file, JSON.stringify(pool));
  return file;
}

/** The real AWS SDK v3 client, pointed at an emulator (`url`), retrying nothing. */
export function sdk(emu: { url: string }): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint: emu.url,
    region: 'us-east-1',
    // Dummy credentials: the emulator accepts SigV4 signatures unverified.
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'dev-only-not-a-secret' },
    maxAttempts: 1,
  });
}

/** An emulator with the AWS SDK pointed at it; `close` stops both. */
export type EmulatorWithSdk = StartedEmulator & { cognito: CognitoIdentityProviderClient };

/** Starts an emulator (ephemeral port, warnings only, then `env`) and an SDK client for it. */
export async function startWithSdk(env: Record<string, string>): Promise<EmulatorWithSdk> {
  const emu = await startEmulator({ PORT: '0', LOG_LEVEL: 'warn', ...env });
  const cognito = sdk(emu);
  return {
    ...emu,
    cognito,
    close: async () => {
      cognito.destroy();
      await emu.close();
    },
  };
}

/** A client-credentials request to the token endpoint (client_secret_basic), and its answer. */
export async function token(
  emu: { tokenUrl: string },
  id: string,
  secret: string,
  scope?: string,
  fields: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(emu.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': FORM, Authorization: basic(id, secret) },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      ...(scope && { scope }),
      ...fields,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
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
