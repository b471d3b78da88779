import {
  AddUserPoolClientSecretCommand,
  type CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  DeleteUserPoolClientSecretCommand,
  DescribeUserPoolClientCommand,
  ListUserPoolClientSecretsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { startEmulator, type StartedEmulator } from '../src/bootstrap.js';
import {
  basic,
  CALLER,
  type ErrorCase,
  failure,
  FORM,
  itAnswersEachError,
  POOL_ID,
  READ,
  sdk,
  tempDir,
  writePool,
} from './helpers.js';

// Cognito's rotation of an app client's secrets (up to two active at once) through the real
// AWS SDK v3 client: AddUserPoolClientSecret, ListUserPoolClientSecrets,
// DeleteUserPoolClientSecret, and what the token endpoint makes of each change.

const CUSTOM = 'Rotation_custom_secret_0123456789';

/** A client-credentials token request, by client_secret_basic or client_secret_post. */
async function token(emu: StartedEmulator, id: string, secret: string, method: 'basic' | 'post') {
  const form = new URLSearchParams({ grant_type: 'client_credentials', scope: READ });
  if (method === 'post') {
    form.set('client_id', id);
    form.set('client_secret', secret);
  }
  const res = await fetch(emu.tokenUrl, {
    method: 'POST',
    headers: {
      'Content-Type': FORM,
      ...(method === 'basic' && { Authorization: basic(id, secret) }),
    },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Whether both client authentication methods get a token (true) or invalid_client (false). */
async function accepted(emu: StartedEmulator, id: string, secret: string): Promise<boolean> {
  const results = await Promise.all([
    token(emu, id, secret, 'basic'),
    token(emu, id, secret, 'post'),
  ]);
  for (const r of results) {
    if (r.status !== 200)
      expect(r).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
  }
  const [viaBasic, viaPost] = results.map((r) => r.status === 200);
  expect(viaPost).toBe(viaBasic);
  return viaBasic;
}

describe('client secrets through the AWS SDK v3', () => {
  let dir: string;
  let emu: StartedEmulator;
  let cognito: CognitoIdentityProviderClient;
  const lines: string[] = [];
  const capture = { write: (line: string) => void lines.push(line) };
  const env = () => ({
    PORT: '0',
    LOG_LEVEL: 'info',
    COGNITO_EMULATOR_ADMIN: 'true',
    COGNITO_EMULATOR_STATE_FILE: join(dir, 'state.json'),
    COGNITO_EMULATOR_KEYS_FILE: join(dir, 'keys.json'),
  });
  const ref = { UserPoolId: POOL_ID, ClientId: CALLER.id };
  const list = async (clientId = CALLER.id) =>
    (
      await cognito.send(
        new ListUserPoolClientSecretsCommand({ UserPoolId: POOL_ID, ClientId: clientId }),
      )
    ).ClientSecrets!;
  const described = async () =>
    (await cognito.send(new DescribeUserPoolClientCommand(ref))).UserPoolClient!;

  beforeAll(async () => {
    dir = await tempDir();
    emu = await startEmulator(env(), { logDestination: capture });
    cognito = sdk(emu);
  });
  afterAll(async () => {
    cognito.destroy();
    await emu.close();
  });

  it('rotates a secret: add, both work, delete the old one, only the new one works, and it all survives a restart', async () => {
    // The pool file's secret, listed with an id and date and never a value.
    const [original] = await list();
    expect(original).toEqual({
      ClientSecretId: expect.stringMatching(/^weather-caller--\d{13}$/),
      ClientSecretCreateDate: expect.any(Date),
    });

    const started = Date.now();
    const { ClientSecretDescriptor: added } = await cognito.send(
      new AddUserPoolClientSecretCommand(ref),
    );
    // A generated secret: its value comes back in this answer, and only here.
    expect(added).toEqual({
      ClientSecretId: expect.stringMatching(/^weather-caller--\d{13}$/),
      ClientSecretValue: expect.stringMatching(/^[a-z0-9]{51}$/),
      ClientSecretCreateDate: expect.any(Date),
    });
    const created = added!.ClientSecretCreateDate!.getTime();
    expect(created).toBeGreaterThanOrEqual(started);
    expect(created).toBeLessThanOrEqual(Date.now());
    expect(added!.ClientSecretId).toBe(`weather-caller--${created}`);
    const fresh = added!.ClientSecretValue!;

    const listed = await list();
    expect(listed).toEqual([
      original,
      {
        ClientSecretId: added!.ClientSecretId,
        ClientSecretCreateDate: added!.ClientSecretCreateDate,
      },
    ]);
    expect(listed.every((s) => s.ClientSecretValue === undefined)).toBe(true);

    // Both secrets work, by either authentication method; Cognito's ClientSecret stays the
    // secret the client was created with.
    expect(await accepted(emu, CALLER.id, CALLER.secret)).toBe(true);
    expect(await accepted(emu, CALLER.id, fresh)).toBe(true);
    expect((await described()).ClientSecret).toBe(CALLER.secret);

    // A third active secret is over Cognito's limit, and changes nothing.
    expect(
      await failure(
        cognito.send(new AddUserPoolClientSecretCommand({ ...ref, ClientSecret: CUSTOM })),
      ),
    ).toEqual({
      name: 'LimitExceededException',
      status: 400,
      message:
        'User pool client weather-caller already has 2 client secrets, the most it can have.',
    });
    expect(await list()).toHaveLength(2);
    expect(await accepted(emu, CALLER.id, CUSTOM)).toBe(false);

    // The old secret deleted: refused from the next request on, the new one still works, and
    // no secret is promoted to ClientSecret.
    await cognito.send(
      new DeleteUserPoolClientSecretCommand({ ...ref, ClientSecretId: original.ClientSecretId }),
    );
    expect(await accepted(emu, CALLER.id, CALLER.secret)).toBe(false);
    expect(await accepted(emu, CALLER.id, fresh)).toBe(true);
    expect((await described()).ClientSecret).toBeUndefined();
    expect((await list()).map((s) => s.ClientSecretId)).toEqual([added!.ClientSecretId]);

    // The last secret stays.
    expect(
      await failure(
        cognito.send(
          new DeleteUserPoolClientSecretCommand({ ...ref, ClientSecretId: added!.ClientSecretId }),
        ),
      ),
    ).toEqual({
      name: 'InvalidParameterException',
      status: 400,
      message: 'The last client secret of user pool client weather-caller cannot be deleted.',
    });

    // A custom secret: accepted, never answered back.
    const custom = await cognito.send(
      new AddUserPoolClientSecretCommand({ ...ref, ClientSecret: CUSTOM }),
    );
    expect(custom.ClientSecretDescriptor?.ClientSecretValue).toBeUndefined();
    expect(await accepted(emu, CALLER.id, CUSTOM)).toBe(true);
    const before = await list();

    // What the state file kept, after a restart: the same secrets, ids and dates.
    const again = await startEmulator({ ...env(), LOG_LEVEL: 'warn' });
    const cognitoAgain = sdk(again);
    try {
      expect(
        (
          await cognitoAgain.send(
            new ListUserPoolClientSecretsCommand({ UserPoolId: POOL_ID, ClientId: CALLER.id }),
          )
        ).ClientSecrets,
      ).toEqual(before);
      expect(await accepted(again, CALLER.id, fresh)).toBe(true);
      expect(await accepted(again, CALLER.id, CUSTOM)).toBe(true);
      expect(await accepted(again, CALLER.id, CALLER.secret)).toBe(false);
      expect(
        (await cognitoAgain.send(new DescribeUserPoolClientCommand(ref))).UserPoolClient
          ?.ClientSecret,
      ).toBeUndefined();
    } finally {
      cognitoAgain.destroy();
      await again.close();
    }
    // The state file holds the secrets: owner-only.
    expect((await stat(join(dir, 'state.json'))).mode & 0o777).toBe(0o600);
  });

  it('rotates a client made through the SDK, whose generated secret is its ClientSecret', async () => {
    const { UserPoolClient: c } = await cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: POOL_ID,
        ClientName: 'rotated job',
        GenerateSecret: true,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthScopes: [READ],
      }),
    );
    const id = c!.ClientId!;
    const [first] = await list(id);
    expect(first.ClientSecretId).toBe(`${id}--${first.ClientSecretCreateDate!.getTime()}`);
    const { ClientSecretDescriptor: next } = await cognito.send(
      new AddUserPoolClientSecretCommand({ UserPoolId: POOL_ID, ClientId: id }),
    );
    expect(await accepted(emu, id, c!.ClientSecret!)).toBe(true);
    expect(await accepted(emu, id, next!.ClientSecretValue!)).toBe(true);
    await cognito.send(
      new DeleteUserPoolClientSecretCommand({
        UserPoolId: POOL_ID,
        ClientId: id,
        ClientSecretId: first.ClientSecretId,
      }),
    );
    expect(await accepted(emu, id, c!.ClientSecret!)).toBe(false);
    expect(await accepted(emu, id, next!.ClientSecretValue!)).toBe(true);
  });

  describe('answers every error as Cognito, a 400 with its __type', () => {
    const cases: ErrorCase[] = [
      [
        'adding to a public client',
        () =>
          cognito.send(
            new AddUserPoolClientSecretCommand({ UserPoolId: POOL_ID, ClientId: 'weather-web' }),
          ),
        'InvalidParameterException',
        'User pool client weather-web is a public client: it has no client secret.',
      ],
      [
        'adding to an unknown client',
        () =>
          cognito.send(
            new AddUserPoolClientSecretCommand({ UserPoolId: POOL_ID, ClientId: 'nosuchclient' }),
          ),
        'ResourceNotFoundException',
        'User pool client nosuchclient does not exist.',
      ],
      [
        'listing in another pool',
        () =>
          cognito.send(
            new ListUserPoolClientSecretsCommand({
              UserPoolId: 'eu-west-1_Other',
              ClientId: 'weather-admin',
            }),
          ),
        'ResourceNotFoundException',
        'User pool eu-west-1_Other does not exist.',
      ],
      [
        'listing an unknown client',
        () =>
          cognito.send(
            new ListUserPoolClientSecretsCommand({ UserPoolId: POOL_ID, ClientId: 'nosuchclient' }),
          ),
        'ResourceNotFoundException',
        'User pool client nosuchclient does not exist.',
      ],
      [
        'deleting an unknown secret',
        () =>
          cognito.send(
            new DeleteUserPoolClientSecretCommand({
              UserPoolId: POOL_ID,
              ClientId: 'weather-admin',
              ClientSecretId: 'weather-admin--1',
            }),
          ),
        'ResourceNotFoundException',
        'Client secret weather-admin--1 does not exist for user pool client weather-admin.',
      ],
      [
        "deleting a client's only secret",
        async () => {
          const [only] = await list('weather-admin');
          return cognito.send(
            new DeleteUserPoolClientSecretCommand({
              UserPoolId: POOL_ID,
              ClientId: 'weather-admin',
              ClientSecretId: only.ClientSecretId,
            }),
          );
        },
        'InvalidParameterException',
        'The last client secret of user pool client weather-admin cannot be deleted.',
      ],
      [
        'deleting without a ClientSecretId',
        () =>
          cognito.send(
            new DeleteUserPoolClientSecretCommand({
              UserPoolId: POOL_ID,
              ClientId: 'weather-admin',
            } as never),
          ),
        'InvalidParameterException',
        "1 validation error detected: Value null at 'clientSecretId' failed to satisfy constraint: Member must not be null",
      ],
      [
        'a custom secret of 23 characters',
        () =>
          cognito.send(
            new AddUserPoolClientSecretCommand({
              UserPoolId: POOL_ID,
              ClientId: 'weather-admin',
              ClientSecret: 'Too_short_custom_secret',
            }),
          ),
        'InvalidParameterException',
        "1 validation error detected: Value at 'clientSecret' failed to satisfy constraint: Member must have length greater than or equal to 24",
      ],
      [
        'a custom secret of 65 characters',
        () =>
          cognito.send(
            new AddUserPoolClientSecretCommand({
              UserPoolId: POOL_ID,
              ClientId: 'weather-admin',
              ClientSecret: 'x'.repeat(65),
            }),
          ),
        'InvalidParameterException',
        "1 validation error detected: Value at 'clientSecret' failed to satisfy constraint: Member must have length less than or equal to 64",
      ],
      [
        'a custom secret with "-"',
        () =>
          cognito.send(
            new AddUserPoolClientSecretCommand({
              UserPoolId: POOL_ID,
              ClientId: 'weather-admin',
              ClientSecret: 'weather-admin-next-dev-secret',
            }),
          ),
        'InvalidParameterException',
        "1 validation error detected: Value at 'clientSecret' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+]+",
      ],
      [
        'a custom secret and GenerateSecret at creation',
        () =>
          cognito.send(
            new CreateUserPoolClientCommand({
              UserPoolId: POOL_ID,
              ClientName: 'both',
              GenerateSecret: true,
              ClientSecret: CUSTOM,
            }),
          ),
        'InvalidParameterException',
        'ClientSecret cannot be given with GenerateSecret true.',
      ],
    ];
    itAnswersEachError(cases);

    it('left weather-admin with its one secret, working', async () => {
      expect(await list('weather-admin')).toHaveLength(1);
      expect(await accepted(emu, 'weather-admin', 'weather-admin-dev-secret')).toBe(true);
    });
  });

  it('logs a line for each request of every operation, and no secret in any of them', async () => {
    const secrets = [CUSTOM, 'Too_short_custom_secret', 'weather-admin-next-dev-secret'];
    const { ClientSecretDescriptor: d } = await cognito.send(
      new AddUserPoolClientSecretCommand({ UserPoolId: POOL_ID, ClientId: 'weather-admin' }),
    );
    secrets.push(d!.ClientSecretValue!, 'weather-admin-dev-secret', CALLER.secret);
    await list('weather-admin');
    await cognito.send(
      new DeleteUserPoolClientSecretCommand({
        UserPoolId: POOL_ID,
        ClientId: 'weather-admin',
        ClientSecretId: d!.ClientSecretId,
      }),
    );
    const requests = lines
      .map((l) => JSON.parse(l) as { req?: { method: string; url: string }; res?: object })
      .filter((l) => l.req?.method === 'POST' && l.req.url === '/' && l.res);
    // This file's control-plane calls so far, each with its request line.
    expect(requests.length).toBeGreaterThanOrEqual(30);
    for (const secret of secrets) {
      expect(lines.filter((l) => l.includes(secret))).toEqual([]);
    }
  });
});

describe('a pool file client with two secrets', () => {
  it('takes both at the token endpoint, lists both, and describes the first as ClientSecret', async () => {
    const file = await writePool((pool) => {
      pool.clients[0].clientSecret = [CALLER.secret, 'weather-caller-next-dev-secret'];
    });
    const emu = await startEmulator({
      PORT: '0',
      LOG_LEVEL: 'warn',
      COGNITO_EMULATOR_ADMIN: 'true',
      COGNITO_EMULATOR_POOL_FILE: file,
    });
    const cognito = sdk(emu);
    try {
      expect(await accepted(emu, CALLER.id, CALLER.secret)).toBe(true);
      expect(await accepted(emu, CALLER.id, 'weather-caller-next-dev-secret')).toBe(true);
      expect(await accepted(emu, CALLER.id, 'weather-caller-other-secret')).toBe(false);
      const { ClientSecrets } = await cognito.send(
        new ListUserPoolClientSecretsCommand({ UserPoolId: POOL_ID, ClientId: CALLER.id }),
      );
      expect(ClientSecrets).toHaveLength(2);
      const [older, newer] = ClientSecrets!;
      expect(newer.ClientSecretCreateDate!.getTime()).toBeGreaterThan(
        older.ClientSecretCreateDate!.getTime(),
      );
      const { UserPoolClient } = await cognito.send(
        new DescribeUserPoolClientCommand({ UserPoolId: POOL_ID, ClientId: CALLER.id }),
      );
      expect(UserPoolClient?.ClientSecret).toBe(CALLER.secret);
      expect(
        await failure(
          cognito.send(
            new AddUserPoolClientSecretCommand({ UserPoolId: POOL_ID, ClientId: CALLER.id }),
          ),
        ),
      ).toMatchObject({ name: 'LimitExceededException', status: 400 });
    } finally {
      cognito.destroy();
      await emu.close();
    }
  });
});

describe('client secret operations without COGNITO_EMULATOR_ADMIN', () => {
  it('are unknown, like every control-plane operation', async () => {
    const emu = await startEmulator({ PORT: '0', LOG_LEVEL: 'warn' });
    const cognito = sdk(emu);
    const ref = { UserPoolId: POOL_ID, ClientId: CALLER.id };
    try {
      for (const command of [
        new AddUserPoolClientSecretCommand(ref),
        new ListUserPoolClientSecretsCommand(ref),
        new DeleteUserPoolClientSecretCommand({ ...ref, ClientSecretId: 'weather-caller--1' }),
      ]) {
        expect(await failure(cognito.send(command as never))).toMatchObject({
          name: 'UnknownOperationException',
          status: 400,
        });
      }
      expect(await accepted(emu, CALLER.id, CALLER.secret)).toBe(true);
    } finally {
      cognito.destroy();
      await emu.close();
    }
  });
});
