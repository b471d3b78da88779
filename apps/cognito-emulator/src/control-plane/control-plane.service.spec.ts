import { parsePool } from '@app/fleet-auth';
import { CognitoIdpError } from '../aws-json/cognito-idp.error.js';
import { AWS_OPERATION_REGISTRY } from '../aws-operations.js';
import { PoolStore } from '../pool/pool-store.js';
import { Clock } from '../shared/clock.js';
import { TriggerModules } from '../triggers/pre-token-generation.service.js';
import { ControlPlaneService } from './control-plane.service.js';

const POOL = 'eu-west-1_Secrets1';

class FixedClock extends Clock {
  ms = 1_750_000_000_000;
  override nowMs(): number {
    return this.ms;
  }
}

function setup() {
  const pool = new PoolStore(
    parsePool({
      userPoolId: POOL,
      resourceServers: [{ identifier: 'api', name: 'API', scopes: [{ name: 'read' }] }],
      clients: [
        {
          clientId: 'svc',
          clientSecret: 'svc-dev-secret',
          allowedOAuthFlows: ['client_credentials'],
          allowedOAuthScopes: ['api/read'],
        },
        { clientId: 'pub', clientSecret: null },
      ],
    }),
    undefined,
    1_700_000_000,
  );
  const clock = new FixedClock();
  return { pool, clock, cp: new ControlPlaneService(pool, clock, new TriggerModules(undefined)) };
}

type Op =
  | 'AddUserPoolClientSecret'
  | 'ListUserPoolClientSecrets'
  | 'DeleteUserPoolClientSecret'
  | 'DescribeUserPoolClient'
  | 'CreateUserPoolClient';

/** Answers `op` as the controller does: its registered input shape, then its answer. */
function call(cp: ControlPlaneService, op: Op, body: Record<string, unknown>) {
  const { input, answer } = AWS_OPERATION_REGISTRY[op];
  return answer(cp, input.parse({ UserPoolId: POOL, ...body }) as never, { userAgent: undefined });
}

function failure(fn: () => unknown): { type: string; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CognitoIdpError);
    return { type: (e as CognitoIdpError).type, message: (e as CognitoIdpError).message };
  }
  throw new Error('expected a CognitoIdpError');
}

const CUSTOM = 'Custom_secret_of_32_characters_x';

describe("the control plane's client secrets", () => {
  it('adds a generated secret, its value in that answer only, dated and named as Cognito does', () => {
    const { cp, clock } = setup();
    const { ClientSecretDescriptor: added } = call(cp, 'AddUserPoolClientSecret', {
      ClientId: 'svc',
    }) as { ClientSecretDescriptor: Record<string, unknown> };
    expect(added).toEqual({
      ClientSecretId: `svc--${clock.ms}`,
      ClientSecretValue: expect.stringMatching(/^[a-z0-9]{51}$/),
      ClientSecretCreateDate: clock.ms / 1000,
    });
    const listed = call(cp, 'ListUserPoolClientSecrets', { ClientId: 'svc' });
    expect(listed).toEqual({
      ClientSecrets: [
        { ClientSecretId: 'svc--1700000000000', ClientSecretCreateDate: 1_700_000_000 },
        { ClientSecretId: `svc--${clock.ms}`, ClientSecretCreateDate: clock.ms / 1000 },
      ],
    });
    expect(JSON.stringify(listed)).not.toContain(added.ClientSecretValue as string);
  });

  it('never answers a custom secret back', () => {
    const { cp, pool } = setup();
    const answer = call(cp, 'AddUserPoolClientSecret', { ClientId: 'svc', ClientSecret: CUSTOM });
    expect(answer).toEqual({
      ClientSecretDescriptor: {
        ClientSecretId: expect.any(String),
        ClientSecretCreateDate: expect.any(Number),
      },
    });
    expect(pool.client('svc')?.clientSecret).toEqual(['svc-dev-secret', CUSTOM]);
  });

  it('keeps at most two secrets: a third is LimitExceededException, and changes nothing', () => {
    const { cp, pool } = setup();
    call(cp, 'AddUserPoolClientSecret', { ClientId: 'svc' });
    const before = pool.client('svc');
    expect(failure(() => call(cp, 'AddUserPoolClientSecret', { ClientId: 'svc' }))).toEqual({
      type: 'LimitExceededException',
      message: 'User pool client svc already has 2 client secrets, the most it can have.',
    });
    expect(pool.client('svc')).toBe(before);
  });

  it.each([
    ['23 characters', 'x'.repeat(23), 'Member must have length greater than or equal to 24'],
    ['65 characters', 'x'.repeat(65), 'Member must have length less than or equal to 64'],
    [
      'a "-"',
      'with-a-dash-is-not-a-valid-secret',
      'Member must satisfy regular expression pattern: [\\w+]+',
    ],
    [
      'a "/"',
      'slash/is/not/valid/either/abcdef',
      'Member must satisfy regular expression pattern: [\\w+]+',
    ],
  ])('refuses a custom secret with %s, without echoing it', (_case, secret, constraint) => {
    const { cp } = setup();
    const err = failure(() =>
      call(cp, 'AddUserPoolClientSecret', { ClientId: 'svc', ClientSecret: secret }),
    );
    expect(err).toEqual({
      type: 'InvalidParameterException',
      message: `1 validation error detected: Value at 'clientSecret' failed to satisfy constraint: ${constraint}`,
    });
  });

  it("takes a custom secret at Cognito's bounds: 24 and 64 of letters, digits, _ and +", () => {
    const { cp, pool } = setup();
    call(cp, 'AddUserPoolClientSecret', {
      ClientId: 'svc',
      ClientSecret: 'a+B_9'.repeat(4) + 'abcd',
    });
    call(cp, 'DeleteUserPoolClientSecret', {
      ClientId: 'svc',
      ClientSecretId: 'svc--1700000000000',
    });
    call(cp, 'AddUserPoolClientSecret', { ClientId: 'svc', ClientSecret: 'z'.repeat(64) });
    expect(pool.client('svc')?.clientSecret).toEqual(['a+B_9a+B_9a+B_9a+B_9abcd', 'z'.repeat(64)]);
  });

  it('gives a public client no secret, and lists none', () => {
    const { cp } = setup();
    expect(failure(() => call(cp, 'AddUserPoolClientSecret', { ClientId: 'pub' }))).toEqual({
      type: 'InvalidParameterException',
      message: 'User pool client pub is a public client: it has no client secret.',
    });
    expect(call(cp, 'ListUserPoolClientSecrets', { ClientId: 'pub' })).toEqual({
      ClientSecrets: [],
    });
  });

  it('deletes a secret but never the last one, and names an unknown one', () => {
    const { cp, pool } = setup();
    expect(
      failure(() =>
        call(cp, 'DeleteUserPoolClientSecret', {
          ClientId: 'svc',
          ClientSecretId: 'svc--1700000000000',
        }),
      ),
    ).toEqual({
      type: 'InvalidParameterException',
      message: 'The last client secret of user pool client svc cannot be deleted.',
    });
    expect(
      failure(() =>
        call(cp, 'DeleteUserPoolClientSecret', { ClientId: 'svc', ClientSecretId: 'svc--1' }),
      ),
    ).toEqual({
      type: 'ResourceNotFoundException',
      message: 'Client secret svc--1 does not exist for user pool client svc.',
    });
    call(cp, 'AddUserPoolClientSecret', { ClientId: 'svc', ClientSecret: CUSTOM });
    expect(
      call(cp, 'DeleteUserPoolClientSecret', {
        ClientId: 'svc',
        ClientSecretId: 'svc--1700000000000',
      }),
    ).toBeUndefined();
    expect(pool.client('svc')?.clientSecret).toBe(CUSTOM);
  });

  it('answers unknown clients and pools with ResourceNotFoundException', () => {
    const { cp } = setup();
    for (const op of ['AddUserPoolClientSecret', 'ListUserPoolClientSecrets'] as const) {
      expect(failure(() => call(cp, op, { ClientId: 'nobody' }))).toEqual({
        type: 'ResourceNotFoundException',
        message: 'User pool client nobody does not exist.',
      });
    }
    expect(
      failure(() =>
        call(cp, 'DeleteUserPoolClientSecret', { ClientId: 'nobody', ClientSecretId: 'x' }),
      ).type,
    ).toBe('ResourceNotFoundException');
    expect(
      failure(() =>
        cp.listUserPoolClientSecrets({
          UserPoolId: 'eu-west-1_Other',
          ClientId: 'svc',
          NextToken: undefined,
        }),
      ),
    ).toEqual({
      type: 'ResourceNotFoundException',
      message: 'User pool eu-west-1_Other does not exist.',
    });
  });

  it('describes ClientSecret as the secret the client was created with, never an added one, none once it is gone', () => {
    const { cp } = setup();
    const described = () =>
      (
        call(cp, 'DescribeUserPoolClient', { ClientId: 'svc' }) as {
          UserPoolClient: { ClientSecret?: string };
        }
      ).UserPoolClient.ClientSecret;
    call(cp, 'AddUserPoolClientSecret', { ClientId: 'svc', ClientSecret: CUSTOM });
    expect(described()).toBe('svc-dev-secret');
    call(cp, 'DeleteUserPoolClientSecret', {
      ClientId: 'svc',
      ClientSecretId: 'svc--1700000000000',
    });
    expect(described()).toBeUndefined();
  });

  it('creates a client with a custom secret, or a generated one, never both', () => {
    const { cp, pool, clock } = setup();
    const m2m = {
      ClientName: 'job',
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['api/read'],
    };
    const { UserPoolClient: c } = call(cp, 'CreateUserPoolClient', {
      ...m2m,
      ClientSecret: CUSTOM,
    }) as {
      UserPoolClient: { ClientId: string; ClientSecret: string };
    };
    expect(c.ClientSecret).toBe(CUSTOM);
    expect(pool.clientMeta(c.ClientId)?.secrets).toEqual([
      { id: `${c.ClientId}--${clock.ms}`, createdAt: clock.ms },
    ]);
    expect(
      failure(() =>
        call(cp, 'CreateUserPoolClient', { ...m2m, GenerateSecret: true, ClientSecret: CUSTOM }),
      ),
    ).toEqual({
      type: 'InvalidParameterException',
      message: 'ClientSecret cannot be given with GenerateSecret true.',
    });
  });
});
