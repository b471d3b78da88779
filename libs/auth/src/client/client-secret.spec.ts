// Client secret sources: a file on disk (changed in place, replaced, swapped the way
// Kubernetes updates a mounted secret) and AWS Secrets Manager through its real SDK client,
// pointed at a local server that speaks Secrets Manager's JSON 1.1 protocol for
// GetSecretValue (no AWS is reachable here).
import { once } from 'node:events';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  FileClientSecret,
  MAX_SECRET_BYTES,
  SecretsManagerClientSecret,
  secretFromText,
} from './client-secret.js';
import { ClientSecretUnavailableError, M2MClientConfigError } from './client.errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'client-secret-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const unavailable = (reason: string): unknown =>
  expect.objectContaining({ code: 'client_secret_unavailable', reason });

describe('secretFromText', () => {
  it.each([
    ['the secret itself', 's3cret', 's3cret'],
    ['a trailing newline (echo, editors) dropped', 's3cret\n', 's3cret'],
    ['a trailing CRLF dropped', 's3cret\r\n', 's3cret'],
    ['JSON with the secret', '{"clientSecret":"s3cret"}', 's3cret'],
    ['JSON naming this client', '{"clientId":"svc","clientSecret":"s3cret"}\n', 's3cret'],
  ])('reads %s', (_, text, secret) => {
    expect(secretFromText(text, 'svc')).toBe(secret);
  });

  it.each([
    ['nothing', '\n', 'empty'],
    [
      'JSON of another client',
      '{"clientId":"other","clientSecret":"s3cret"}',
      'client_id_mismatch',
    ],
    ['JSON without clientSecret', '{"secret":"s3cret"}', 'no_client_secret'],
    ['broken JSON', '{"clientSecret":', 'invalid_json'],
    ['two lines', 'one\ntwo', 'not_text'],
  ])('refuses %s', (_, text, reason) => {
    expect(secretFromText(text, 'svc')).toEqual({ reason });
  });
});

describe('FileClientSecret', () => {
  it('reads the file at construction; a missing, empty or oversized one stops start-up, its content in no error', async () => {
    const path = join(dir, 'secret');
    expect(() => new FileClientSecret(path)).toThrow(unavailable('ENOENT'));
    await writeFile(path, '\n');
    expect(() => new FileClientSecret(path)).toThrow(unavailable('empty'));
    await writeFile(path, 'x'.repeat(MAX_SECRET_BYTES + 1));
    expect(() => new FileClientSecret(path)).toThrow(unavailable('too_large'));
    expect(() => new FileClientSecret(dir)).toThrow(unavailable('not_a_file'));
    await writeFile(path, '{"clientId":"other","clientSecret":"leaky-value"}');
    const error = (() => {
      try {
        return new FileClientSecret(path, { clientId: 'svc' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ClientSecretUnavailableError);
    expect(inspect(error, { depth: 5 })).not.toContain('leaky-value');
    expect(() => new FileClientSecret(path, { checkIntervalMs: -1 })).toThrow(M2MClientConfigError);
  });

  it('sees a change written in place at its next look, and keeps the secret while it cannot read', async () => {
    const path = join(dir, 'secret');
    await writeFile(path, 'first-secret\n');
    const source = new FileClientSecret(path, { checkIntervalMs: 0 });
    expect(source.current()).toBe('first-secret');
    await writeFile(path, 'second-secret-longer\n');
    await vi.waitFor(() => expect(source.current()).toBe('second-secret-longer'));
    // Gone for a moment (a replacement in progress): the last secret serves.
    await rm(path);
    for (let i = 0; i < 5; i++) {
      expect(source.current()).toBe('second-secret-longer');
      await new Promise((r) => setTimeout(r, 5));
    }
    await expect(source.reload()).rejects.toEqual(unavailable('ENOENT'));
    expect(source.current()).toBe('second-secret-longer');
    await writeFile(path, 'third-secret');
    await vi.waitFor(() => expect(source.current()).toBe('third-secret'));
  });

  it('looks at most once per interval; reload reads now', async () => {
    const path = join(dir, 'secret');
    await writeFile(path, 'first-secret');
    const source = new FileClientSecret(path, { checkIntervalMs: 60_000 });
    await writeFile(path, 'second-secret');
    await new Promise((r) => setTimeout(r, 20));
    expect(source.current()).toBe('first-secret');
    expect(await source.reload()).toBe('second-secret');
    expect(source.current()).toBe('second-secret');
  });

  it('follows a Kubernetes secret update: the ..data link swapped to a new folder', async () => {
    // The layout kubelet writes: <dir>/client-secret -> ..data/client-secret, ..data -> ..<ts>.
    const version = async (name: string, secret: string) => {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, 'client-secret'), secret);
    };
    await version('..2030_01_01_00_00_00.1', 'before-rotation');
    await symlink('..2030_01_01_00_00_00.1', join(dir, '..data'));
    await symlink(join('..data', 'client-secret'), join(dir, 'client-secret'));
    const source = new FileClientSecret(join(dir, 'client-secret'), { checkIntervalMs: 0 });
    expect(source.current()).toBe('before-rotation');

    // The update: a new folder, a new link beside the old one, renamed over it (atomic).
    await version('..2030_01_01_00_05_00.2', 'after-rotation');
    await symlink('..2030_01_01_00_05_00.2', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await rm(join(dir, '..2030_01_01_00_00_00.1'), { recursive: true });
    await vi.waitFor(() => expect(source.current()).toBe('after-rotation'));
  });
});

/** A Secrets Manager endpoint on loopback: GetSecretValue over AWS JSON 1.1, as AWS answers. */
class SecretsManagerEndpoint {
  readonly seen: { target: unknown; authorization: unknown; body: Record<string, unknown> }[] = [];
  /** SecretString by ARN; a missing one is ResourceNotFoundException. */
  readonly secrets = new Map<string, string>();
  hang = false;
  url = '';
  private readonly server: Server = createServer((req, res) => this.answer(req, res));

  async start() {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop() {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private answer(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
      this.seen.push({
        target: req.headers['x-amz-target'],
        authorization: req.headers.authorization,
        body,
      });
      if (this.hang) return;
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(json));
      };
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        return reply(400, { __type: 'UnknownOperationException' });
      }
      const arn = String(body.SecretId);
      const secret = this.secrets.get(arn);
      if (secret === undefined) {
        return reply(400, {
          __type: 'ResourceNotFoundException',
          Message: "Secrets Manager can't find the specified secret.",
        });
      }
      reply(200, {
        ARN: arn,
        Name: arn.split(':secret:')[1],
        SecretString: secret,
        VersionId: '00000000-0000-4000-8000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_900_000_000,
      });
    });
  }
}

describe('SecretsManagerClientSecret (the AWS SDK against a local Secrets Manager)', () => {
  const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:m2m/svc-AbCdEf';
  let sm: SecretsManagerEndpoint;

  beforeEach(async () => {
    sm = new SecretsManagerEndpoint();
    await sm.start();
  });
  afterEach(() => sm.stop());

  const source = (options: { refreshIntervalMs?: number; timeoutMs?: number } = {}) =>
    new SecretsManagerClientSecret(ARN, {
      clientId: 'svc',
      ...options,
      clientConfig: {
        endpoint: sm.url,
        credentials: { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'test-only-signing-key' },
      },
    });

  it('reads AWSCURRENT through the SDK (signed, GetSecretValue), plain or as JSON', async () => {
    sm.secrets.set(ARN, 'plain-secret-value');
    const plain = source();
    expect(plain.current()).toBeUndefined();
    expect(await plain.reload()).toBe('plain-secret-value');
    expect(plain.current()).toBe('plain-secret-value');
    expect(sm.seen[0]).toMatchObject({
      target: 'secretsmanager.GetSecretValue',
      body: { SecretId: ARN },
      authorization: expect.stringMatching(
        /^AWS4-HMAC-SHA256 Credential=AKIDTESTONLY\/\d{8}\/eu-west-1\/secretsmanager\//,
      ),
    });
    sm.secrets.set(ARN, JSON.stringify({ clientId: 'svc', clientSecret: 'json-secret-value' }));
    expect(await source().reload()).toBe('json-secret-value');
  });

  it('names what failed by a code, never the value: not found, another client, too large', async () => {
    await expect(source().reload()).rejects.toEqual(unavailable('ResourceNotFoundException'));
    sm.secrets.set(ARN, JSON.stringify({ clientId: 'other', clientSecret: 'leaky-value' }));
    const error = await source()
      .reload()
      .catch((e: unknown) => e);
    expect(error).toEqual(unavailable('client_id_mismatch'));
    expect(inspect(error, { depth: 10 })).not.toContain('leaky-value');
    sm.secrets.set(ARN, 'x'.repeat(MAX_SECRET_BYTES + 1));
    await expect(source().reload()).rejects.toEqual(unavailable('too_large'));
  });

  it('a Secrets Manager that does not answer: a timeout at the deadline', async () => {
    sm.hang = true;
    const started = Date.now();
    await expect(source({ timeoutMs: 300 }).reload()).rejects.toEqual(unavailable('timeout'));
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('reads again in the background at its interval; a failed read keeps the secret in hand', async () => {
    sm.secrets.set(ARN, 'first-secret');
    const s = source({ refreshIntervalMs: 1_000 });
    await s.reload();
    sm.secrets.set(ARN, 'second-secret');
    expect(s.current()).toBe('first-secret');
    expect(sm.seen).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1_050));
    expect(s.current()).toBe('first-secret'); // the read starts now, in the background
    await vi.waitFor(() => expect(s.current()).toBe('second-secret'));
    expect(sm.seen).toHaveLength(2);
    sm.secrets.delete(ARN);
    await expect(s.reload()).rejects.toEqual(unavailable('ResourceNotFoundException'));
    expect(s.current()).toBe('second-secret');
  });

  it('refuses what is not a Secrets Manager ARN at construction', () => {
    expect(() => new SecretsManagerClientSecret('m2m/svc')).toThrow(M2MClientConfigError);
    expect(
      () => new SecretsManagerClientSecret('arn:aws:ssm:eu-west-1:123456789012:parameter/x'),
    ).toThrow(/ARN/);
  });
});
