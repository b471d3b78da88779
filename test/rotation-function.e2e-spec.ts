// The rotation module on real protocols, with no AWS account: the rotation function as the
// stack deploys it (infra/src/rotation), its AWS SDK clients pointed at the emulator's control
// plane (Cognito's client-secret operations) and at a Secrets Manager endpoint on loopback that
// RotateSecret drives through the four steps as Secrets Manager does; and
// `npm run rotate-secret`, the same steps by hand, against the emulator.
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  ListUserPoolClientSecretsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RotationFunctionConfig } from '../infra/src/rotation/rotation-config.js';
import { rotationFunction } from '../infra/src/rotation/rotation-function.js';
import {
  launchService,
  localWiring,
  root,
  type ServiceProcess,
  sleep,
  stopAll,
  tokenRequests,
} from '../scripts/lib/fleet.mjs';
import { issuedTokens, READ_CLIENT, TEST_ENV } from './helpers/process-fleet.js';
import { RedisServer } from './helpers/redis-server.js';
import { SecretsManagerServer } from './helpers/secrets-manager-server.js';
import { steadyLoad } from './helpers/steady-load.js';

const POOL = 'us-east-1_Weather01';
// In a JSON log line, so the quotes are escaped.
const CHANGED = /client secret of \\"weather-caller\\" changed \(Secrets Manager\)/g;
const REGION = 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const ROTATE_SECRET = join('dist', 'infra', 'infra', 'src', 'rotation', 'rotate-secret.main.js');

let dir: string;
let emulator: ServiceProcess;
let cognito: CognitoIdentityProviderClient;
let sm: SecretsManagerServer;
let smClient: SecretsManagerClient;
/** What the rotation function logged (its console lines). */
const logged: string[] = [];
/** The Secrets Manager secret of each client, by client id. */
const arns = new Map<string, string>();
/** The rotation function of each secret, by ARN: what RotateSecret invokes. */
const functions = new Map<string, (event: unknown) => Promise<void>>();
const configOf = (clientId: string, tokenUrl = `${emulator.url}/oauth2/token`) => ({
  userPoolId: POOL,
  clientId,
  secretArn: arns.get(clientId)!,
  check: { kind: 'token-endpoint' as const, tokenUrl },
});
const deploy = (config: RotationFunctionConfig) =>
  functions.set(config.secretArn, rotationFunction(config, { cognito, secretsManager: smClient }));

/** A client-credentials request at the emulator: the status, and the OAuth error if any. */
async function tokenWith(clientId: string, secret: string): Promise<string> {
  const res = await fetch(`${emulator.url}/oauth2/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  const body = (await res.json()) as { error?: string };
  return `${res.status}${body.error ? ` ${body.error}` : ''}`;
}

const secretIds = async (clientId: string) =>
  (
    await cognito.send(
      new ListUserPoolClientSecretsCommand({ UserPoolId: POOL, ClientId: clientId }),
    )
  ).ClientSecrets!.map((s) => s.ClientSecretId!);

type Published = { clientId: string; clientSecret: string; clientSecretId?: string };
const published = (arn: string, stage = 'AWSCURRENT') =>
  JSON.parse(sm.valueAt(arn, stage)!) as Published;

/** RotateSecret through the SDK, and the rotation's end (the failed step's error, if any). */
async function rotate(arn: string): Promise<Error | undefined> {
  const { VersionId } = await smClient.send(new RotateSecretCommand({ SecretId: arn }));
  return sm.rotations.get(VersionId!);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotation-function-e2e-'));
  emulator = await launchService('cognito-emulator', {
    env: {
      ...TEST_ENV,
      COGNITO_EMULATOR_ADMIN: 'true',
      COGNITO_EMULATOR_KEYS_FILE: join(dir, 'keys.json'),
    },
  });
  cognito = new CognitoIdentityProviderClient({
    endpoint: emulator.url,
    region: REGION,
    credentials,
  });
  // One rotation function per secret, as the stack deploys them, configured as the stack
  // configures them, on SDK clients pointed at the two local endpoints.
  sm = await SecretsManagerServer.start((event) => functions.get(event.SecretId)!(event));
  smClient = new SecretsManagerClient({ endpoint: sm.url, region: REGION, credentials });
  for (const client of [READ_CLIENT.id, 'weather-admin']) {
    const secret = client === READ_CLIENT.id ? READ_CLIENT.secret : 'weather-admin-dev-secret';
    // As CloudFormation writes it: the client's JSON, without a clientSecretId.
    const arn = sm.createSecret(client, JSON.stringify({ clientId: client, clientSecret: secret }));
    arns.set(client, arn);
    deploy(configOf(client));
  }
  for (const method of ['log', 'error'] as const) {
    vi.spyOn(console, method).mockImplementation((line: string) => void logged.push(line));
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  cognito?.destroy();
  smClient?.destroy();
  await sm?.close();
  await stopAll([emulator]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the rotation function, driven by Secrets Manager', () => {
  const arn = () => arns.get(READ_CLIENT.id)!;

  it('rotates: a new secret in Cognito, tested, published as AWSCURRENT with its id; the old one still works', async () => {
    const [original] = await secretIds(READ_CLIENT.id);
    expect(await rotate(arn())).toBeUndefined();

    const current = published(arn());
    expect(current).toEqual({
      clientId: READ_CLIENT.id,
      clientSecret: expect.stringMatching(/^\w{24,}$/),
      clientSecretId: expect.any(String),
    });
    expect(published(arn(), 'AWSPREVIOUS').clientSecret).toBe(READ_CLIENT.secret);
    expect(await secretIds(READ_CLIENT.id)).toEqual([original, current.clientSecretId]);
    // The grace period: both work until the next rotation.
    expect(await tokenWith(READ_CLIENT.id, current.clientSecret)).toBe('200');
    expect(await tokenWith(READ_CLIENT.id, READ_CLIENT.secret)).toBe('200');
  });

  it('at the next rotation deletes the secret current two rotations ago, and only that one', async () => {
    const previous = published(arn());
    expect(await rotate(arn())).toBeUndefined();
    const current = published(arn());
    expect(await secretIds(READ_CLIENT.id)).toEqual([
      previous.clientSecretId,
      current.clientSecretId,
    ]);
    expect(await tokenWith(READ_CLIENT.id, READ_CLIENT.secret)).toBe('400 invalid_client');
    expect(await tokenWith(READ_CLIENT.id, previous.clientSecret)).toBe('200');
    expect(await tokenWith(READ_CLIENT.id, current.clientSecret)).toBe('200');
  });

  it('logs every step by ids, and no secret', () => {
    const lines = logged.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.event === 'published')).toHaveLength(2);
    expect(lines.filter((l) => l.event === 'retired')).toHaveLength(1);
    const text = logged.join('\n');
    expect(text).not.toContain(READ_CLIENT.secret);
    expect(text).not.toContain(published(arn()).clientSecret);
    expect(text).not.toContain(published(arn(), 'AWSPREVIOUS').clientSecret);
  });
});

describe('a rotation that fails', () => {
  const ADMIN = 'weather-admin';
  const arn = () => arns.get(ADMIN)!;

  it('leaves callers on their secret when the new one gets no token; the next rotation drops the unpublished one', async () => {
    expect(await rotate(arn())).toBeUndefined();
    const inUse = published(arn());
    // The token endpoint unreachable for the function (a closed port): testSecret fails.
    deploy(configOf(ADMIN, 'http://127.0.0.1:9/oauth2/token'));
    const failure = await rotate(arn());
    expect(failure).toMatchObject({ code: 'secret_check_failed' });
    expect(published(arn())).toEqual(inUse);
    const [, unpublished] = await secretIds(ADMIN);
    expect(JSON.parse(sm.valueAt(arn(), 'AWSPENDING')!)).toMatchObject({
      clientSecretId: unpublished,
    });
    expect(await tokenWith(ADMIN, inUse.clientSecret)).toBe('200');

    // As Secrets Manager does: no new rotation while the failed one's AWSPENDING is left.
    await expect(rotate(arn())).rejects.toMatchObject({ name: 'InvalidRequestException' });
    const pendingVersion = Object.entries(sm.stages(arn())).find(
      ([, stages]) => stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT'),
    )![0];
    await smClient.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn(),
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: pendingVersion,
      }),
    );
    deploy(configOf(ADMIN));
    expect(await rotate(arn())).toBeUndefined();
    expect(await secretIds(ADMIN)).toEqual([inUse.clientSecretId, published(arn()).clientSecretId]);
    expect(await tokenWith(ADMIN, inUse.clientSecret)).toBe('200');
  });

  it('refuses an event for a secret that is not its own, and a call that is not a rotation', async () => {
    const adminFunction = functions.get(arn())!;
    const before = sm.calls.length;
    await expect(
      adminFunction({
        SecretId: arns.get(READ_CLIENT.id),
        ClientRequestToken: 'x',
        Step: 'createSecret',
      }),
    ).rejects.toMatchObject({ code: 'client_mismatch' });
    await expect(adminFunction({ Step: 'finishSecret' })).rejects.toThrow(
      'not a Secrets Manager rotation event',
    );
    expect(sm.calls.length).toBe(before);
  });
});

describe('npm run rotate-secret', () => {
  let clientId: string;
  let secret: string;
  const env = { ...process.env, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [ROTATE_SECRET, ...args], { cwd: root, env, encoding: 'utf8' });
  const common = () => [
    '--client-id',
    clientId,
    '--user-pool-id',
    POOL,
    '--endpoint',
    emulator.url,
    '--token-url',
    `${emulator.url}/oauth2/token`,
  ];

  beforeAll(async () => {
    // A client of its own, created through the control plane as a deploy would.
    const created = await cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: POOL,
        ClientName: 'rotated-by-hand',
        GenerateSecret: true,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthScopes: ['weather-api/forecast.read'],
      }),
    );
    clientId = created.UserPoolClient!.ClientId!;
    secret = created.UserPoolClient!.ClientSecret!;
  });

  it('refuses a command line it cannot run, changing nothing', async () => {
    const before = await secretIds(clientId);
    for (const args of [
      [],
      common(),
      [...common(), '--secret-file', join(dir, 'a'), '--secret-id', 'arn:x'],
      [...common(), '--api', '--secret-file', join(dir, 'a')],
      ['--client-id', 'bad id', '--user-pool-id', POOL, '--api', '--secret-file', 'f'],
    ]) {
      const result = run(...args);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^rotate-secret: .+\nusage: npm run rotate-secret/);
      expect(result.stdout).toBe('');
    }
    expect(await secretIds(clientId)).toEqual(before);
  });

  it('rotates into a file (0600, the JSON callers read) and prints ids only; --no-grace ends the old secret at once', async () => {
    const file = join(dir, 'rotated-by-hand.secret');
    const first = run(...common(), '--secret-file', file);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const one = JSON.parse(await readFile(file, 'utf8')) as Published;
    expect(one).toEqual({
      clientId,
      clientSecret: expect.any(String),
      clientSecretId: expect.any(String),
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(first.stdout).toContain(`published secret ${one.clientSecretId}`);
    expect(await tokenWith(clientId, secret)).toBe('200');

    const second = run(...common(), '--secret-file', file, '--no-grace');
    expect(second.status).toBe(0);
    const two = JSON.parse(await readFile(file, 'utf8')) as Published;
    expect(await secretIds(clientId)).toEqual([two.clientSecretId]);
    expect(second.stdout).toContain(`deleted the replaced secret ${one.clientSecretId}`);
    expect(await tokenWith(clientId, secret)).toBe('400 invalid_client');
    expect(await tokenWith(clientId, one.clientSecret)).toBe('400 invalid_client');
    expect(await tokenWith(clientId, two.clientSecret)).toBe('200');
    for (const value of [secret, one.clientSecret, two.clientSecret]) {
      expect(first.stdout + second.stdout + second.stderr).not.toContain(value);
    }
  });

  it("refuses a file that holds another client's secret, touching nothing", async () => {
    const file = join(dir, 'other.secret');
    await writeFile(
      file,
      JSON.stringify({ clientId: 'weather-admin', clientSecret: 'x'.repeat(30) }),
    );
    const before = await secretIds(clientId);
    const result = run(...common(), '--secret-file', file);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `belongs to client weather-admin, not ${clientId} (client_mismatch)`,
    );
    expect(await secretIds(clientId)).toEqual(before);
  });
});

describe('three callers on one Redis, reading their secret from Secrets Manager, through two rotations', () => {
  const started: ServiceProcess[] = [];
  let redis: RedisServer;
  let callers: ServiceProcess[];
  const ADMIN = 'weather-admin';

  beforeAll(async () => {
    redis = await RedisServer.start();
    const urls = { 'cognito-emulator': emulator.url };
    const api = await launchService('weather-api', {
      env: { ...TEST_ENV, ...localWiring('weather-api', urls) },
    });
    started.push(api);
    // The client library's Secrets Manager source, on the SDK pointed at the loopback endpoint.
    const env = {
      ...TEST_ENV,
      ...localWiring('caller', { ...urls, 'weather-api': api.url }),
      OAUTH_CLIENT_SECRET: '',
      OAUTH_WRITE_CLIENT_SECRET: '',
      OAUTH_CLIENT_SECRET_ARN: arns.get(READ_CLIENT.id)!,
      OAUTH_WRITE_CLIENT_SECRET_ARN: arns.get(ADMIN)!,
      OAUTH_SECRET_REFRESH_MS: '1000',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      TOKEN_CACHE_REDIS_URL: redis.url,
    };
    callers = await Promise.all([0, 1, 2].map(() => launchService('caller', { env })));
    started.push(...callers);
  });

  afterAll(async () => {
    await stopAll(started, 2000);
    await redis?.close();
  });

  it('50 calls/s throughout: no call fails, one token request per rotation for the fleet and one for its test', async () => {
    const arn = arns.get(READ_CLIENT.id)!;
    const issuedBefore = await issuedTokens(emulator.url, READ_CLIENT.id);
    const requestsBefore = await tokenRequests(emulator.url, READ_CLIENT.id);
    const load = steadyLoad(
      callers.map((c) => c.url),
      '/forecast',
      50,
    );
    let statuses: number[] = [];
    const published: string[] = [];
    try {
      await sleep(1_500);
      for (let rotation = 0; rotation < 2; rotation += 1) {
        expect(await rotate(arn)).toBeUndefined();
        published.push(JSON.parse(sm.valueAt(arn, 'AWSCURRENT')!).clientSecretId as string);
        // Within the callers' refresh interval, each reads the new secret.
        await sleep(3_000);
      }
    } finally {
      statuses = await load.stop();
    }
    expect(statuses.length).toBeGreaterThan(300);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    // Cognito keeps the two latest; the secret the callers started with is gone.
    expect(await secretIds(READ_CLIENT.id)).toEqual(published);
    const issued = (await issuedTokens(emulator.url, READ_CLIENT.id)) - issuedBefore;
    const refused = (await tokenRequests(emulator.url, READ_CLIENT.id)) - requestsBefore - issued;
    // Per rotation: the function's testSecret, and at most one for the whole fleet.
    expect(issued).toBeGreaterThanOrEqual(2);
    expect(issued).toBeLessThanOrEqual(4);
    expect(refused).toBe(0);
    // Each replica read each new secret from Secrets Manager on its own, with no restart.
    for (const c of callers) {
      expect(c.output.match(CHANGED) ?? []).toHaveLength(2);
    }
    console.info(`rotation e2e: ${statuses.length} calls, ${issued} tokens issued for 2 rotations`);
  });

  it('no caller logged a secret or a token', () => {
    const secrets = [
      READ_CLIENT.secret,
      ...[READ_CLIENT.id, ADMIN].flatMap((c) =>
        ['AWSCURRENT', 'AWSPREVIOUS'].map(
          (stage) => JSON.parse(sm.valueAt(arns.get(c)!, stage)!).clientSecret as string,
        ),
      ),
    ];
    for (const c of callers) {
      expect(c.output.length).toBeGreaterThan(0);
      for (const secret of secrets) expect(c.output).not.toContain(secret);
      expect(c.output).not.toMatch(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/);
    }
  });
});
