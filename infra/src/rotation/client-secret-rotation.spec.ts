import {
  ClientSecretRotation,
  type CognitoClientSecrets,
  formatPublishedSecret,
  parsePublishedSecret,
  type PublishedClientSecret,
  type RotationEvent,
  type SecretPublication,
} from './client-secret-rotation.js';

/** The error `promise` rejects with; a resolved promise fails the test. */
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error as Error & { code?: string },
  );

// The rotation's steps against in-memory backends that keep Cognito's and Secrets Manager's
// rules: at most two active secrets per client, the last one not deletable, a generated value
// returned only when added; AWSCURRENT / AWSPENDING / AWSPREVIOUS moving as Secrets Manager
// moves them. The same steps run on the real SDK clients in test/rotation-function.e2e-spec.ts.

const CLIENT = 'weather-caller';

class Cognito implements CognitoClientSecrets {
  readonly active = new Map<string, string>();
  private seq = 0;
  calls: string[] = [];

  constructor(initial: string) {
    this.active.set(this.nextId(), initial);
  }

  private nextId(): string {
    return `${CLIENT}--${1_700_000_000_000 + this.seq++}`;
  }

  list() {
    this.calls.push('list');
    return Promise.resolve(
      [...this.active.keys()].map((id) => ({ id, createdAt: new Date(Number(id.split('--')[1])) })),
    );
  }

  add() {
    this.calls.push('add');
    if (this.active.size >= 2) throw new Error('LimitExceededException');
    const id = this.nextId();
    const value = `generated${this.seq}secret${'x'.repeat(40)}`;
    this.active.set(id, value);
    return Promise.resolve({ id, value });
  }

  delete(id: string) {
    this.calls.push(`delete ${id}`);
    if (!this.active.has(id)) throw new Error('ResourceNotFoundException');
    if (this.active.size === 1) throw new Error('InvalidParameterException: last secret');
    this.active.delete(id);
    return Promise.resolve();
  }

  /** A token for whoever presents an active secret. */
  readonly check = (clientId: string, secret: string) =>
    clientId === CLIENT && [...this.active.values()].includes(secret)
      ? Promise.resolve()
      : Promise.reject(new Error('the token endpoint answered 400 invalid_client'));

  idOf(secret: string): string | undefined {
    return [...this.active].find(([, value]) => value === secret)?.[0];
  }
}

/** Versions with staging labels, as Secrets Manager keeps them; one rotation per `token`. */
class Versions {
  readonly values = new Map<string, string>();
  readonly stages = new Map<string, Set<string>>();

  constructor(initial: string) {
    this.values.set('v0', initial);
    this.stages.set('v0', new Set(['AWSCURRENT']));
  }

  labelled(stage: string): string | undefined {
    return [...this.stages].find(([, s]) => s.has(stage))?.[0];
  }

  private move(stage: string, to: string) {
    for (const s of this.stages.values()) s.delete(stage);
    if (!this.stages.has(to)) this.stages.set(to, new Set());
    this.stages.get(to)!.add(stage);
  }

  publication(token: string, failPutOnce = false): SecretPublication {
    let failPut = failPutOnce;
    const read = (version: string | undefined) =>
      version !== undefined && this.values.has(version)
        ? parsePublishedSecret(this.values.get(version)!, CLIENT)
        : undefined;
    return {
      current: () => Promise.resolve(read(this.labelled('AWSCURRENT'))),
      pending: () =>
        Promise.resolve(this.labelled('AWSPENDING') === token ? read(token) : undefined),
      putPending: (next) => {
        if (failPut) {
          failPut = false;
          return Promise.reject(new Error('InternalServiceError'));
        }
        this.values.set(token, formatPublishedSecret(next));
        this.move('AWSPENDING', token);
        return Promise.resolve();
      },
      promote: () => {
        const current = this.labelled('AWSCURRENT')!;
        if (current !== token) {
          this.move('AWSCURRENT', token);
          this.move('AWSPREVIOUS', current);
        }
        return Promise.resolve();
      },
    };
  }

  get current(): PublishedClientSecret {
    return parsePublishedSecret(this.values.get(this.labelled('AWSCURRENT')!)!, CLIENT);
  }
}

/** A pool whose client was created by CloudFormation: one secret, published without its id. */
function deployed() {
  const initial = 'cloudformation0generated0secret0value0abcdefgh';
  const cognito = new Cognito(initial);
  const versions = new Versions(JSON.stringify({ clientId: CLIENT, clientSecret: initial }));
  const events: RotationEvent[] = [];
  const checked: string[] = [];
  const rotation = (token: string, options: { failPutOnce?: boolean; failCheck?: boolean } = {}) =>
    new ClientSecretRotation({
      clientId: CLIENT,
      publication: versions.publication(token, options.failPutOnce),
      cognito,
      check: (id, secret) => {
        checked.push(secret);
        return options.failCheck
          ? Promise.reject(new Error('the token endpoint answered 503'))
          : cognito.check(id, secret);
      },
      onEvent: (e) => events.push(e),
    });
  return { initial, cognito, versions, events, checked, rotation };
}

describe('ClientSecretRotation', () => {
  it('rotates a secret CloudFormation wrote: adds one, tests it, publishes it with its id; the old one stays active', async () => {
    const { initial, cognito, versions, events, checked, rotation } = deployed();
    const firstId = cognito.idOf(initial)!;
    await rotation('r1').rotate();

    const published = versions.current;
    expect(published).toEqual({
      clientId: CLIENT,
      clientSecret: expect.not.stringMatching(initial),
      clientSecretId: expect.any(String),
    });
    expect(cognito.active.get(published.clientSecretId!)).toBe(published.clientSecret);
    // The grace period: callers that still hold the old secret keep getting tokens.
    expect([...cognito.active.keys()]).toEqual([firstId, published.clientSecretId]);
    await expect(cognito.check(CLIENT, initial)).resolves.toBeUndefined();
    expect(checked).toEqual([published.clientSecret]);
    expect(versions.labelled('AWSPREVIOUS')).toBe('v0');
    expect(events.map((e) => `${e.step} ${e.event}`)).toEqual([
      'createSecret added',
      'setSecret in_cognito',
      'testSecret token_issued',
      'finishSecret published',
    ]);
  });

  it('deletes, at the next rotation, the secret callers used two rotations ago, never the current one', async () => {
    const { initial, cognito, versions, events, rotation } = deployed();
    const firstId = cognito.idOf(initial)!;
    await rotation('r1').rotate();
    const second = versions.current;
    await rotation('r2').rotate();
    const third = versions.current;

    expect([...cognito.active.keys()]).toEqual([second.clientSecretId, third.clientSecretId]);
    await expect(cognito.check(CLIENT, initial)).rejects.toThrow('invalid_client');
    await expect(cognito.check(CLIENT, second.clientSecret)).resolves.toBeUndefined();
    expect(events.filter((e) => e.event === 'retired')).toEqual([
      { step: 'createSecret', event: 'retired', clientSecretId: firstId },
    ]);
    // Cognito's two-secret limit is never met: a delete always comes before an add.
    const adds = cognito.calls.filter((c) => c === 'add');
    expect(adds).toHaveLength(2);
  });

  it('runs each step again without doing it twice (Secrets Manager retries a failed step)', async () => {
    const { cognito, versions, events, rotation } = deployed();
    const r = rotation('r1');
    await r.createSecret();
    await r.createSecret();
    await r.setSecret();
    await r.testSecret();
    await r.finishSecret();
    await r.finishSecret();
    expect(cognito.calls.filter((c) => c === 'add')).toHaveLength(1);
    expect(cognito.active.size).toBe(2);
    expect(versions.labelled('AWSCURRENT')).toBe('r1');
    expect(events.filter((e) => e.event === 'already_created')).toHaveLength(1);
  });

  it('cleans up after a createSecret that added in Cognito but could not publish', async () => {
    const { cognito, versions, rotation } = deployed();
    await rotation('r1').rotate();
    const inUse = versions.current;
    await expect(rotation('r2', { failPutOnce: true }).createSecret()).rejects.toThrow(
      'InternalServiceError',
    );
    expect(cognito.active.size).toBe(2);
    // Secrets Manager retries the step: the unpublished secret goes, the one in use stays.
    await rotation('r2').rotate();
    expect([...cognito.active.keys()]).toEqual([
      inUse.clientSecretId,
      versions.current.clientSecretId,
    ]);
  });

  it('leaves callers on their secret when the new one gets no token, and drops it at the next rotation', async () => {
    const { cognito, versions, rotation } = deployed();
    await rotation('r1').rotate();
    const inUse = versions.current;
    const failed = rotation('r2', { failCheck: true });
    await failed.createSecret();
    await failed.setSecret();
    const error = await rejection(failed.testSecret());
    expect(error).toMatchObject({ code: 'secret_check_failed' });
    expect(error.message).toContain('answered 503');
    for (const secret of cognito.active.values()) expect(error.message).not.toContain(secret);
    expect(versions.current).toEqual(inUse);

    // The next rotation (a new version): the failed one's secret is retired, not the one in use.
    await rotation('r3').rotate();
    expect([...cognito.active.keys()]).toEqual([
      inUse.clientSecretId,
      versions.current.clientSecretId,
    ]);
  });

  it('after a failed first rotation, names both secrets and waits for a person to delete the unpublished one', async () => {
    const { initial, cognito, versions, rotation } = deployed();
    await expect(rotation('r1', { failPutOnce: true }).createSecret()).rejects.toThrow(
      'InternalServiceError',
    );
    const [original, unpublished] = [...cognito.active.keys()];
    // CloudFormation's secret names no id: which of the two callers use cannot be known.
    const error = await rejection(rotation('r2').createSecret());
    expect(error).toMatchObject({ code: 'current_secret_unknown' });
    expect(error.message).toContain(original);
    expect(error.message).toContain(unpublished);
    expect(cognito.active.size).toBe(2);
    await cognito.delete(unpublished);
    await rotation('r2').rotate();
    expect([...cognito.active.keys()]).toEqual([
      cognito.idOf(initial),
      versions.current.clientSecretId,
    ]);
  });

  it('refuses when the published secret is no longer active in Cognito', async () => {
    const { cognito, versions, rotation } = deployed();
    await rotation('r1').rotate();
    cognito.active.delete(versions.current.clientSecretId!);
    await expect(rotation('r2').createSecret()).rejects.toMatchObject({
      code: 'current_secret_gone',
    });
    expect(cognito.calls.filter((c) => c.startsWith('delete'))).toEqual([]);
  });

  it('refuses a secret published for another client, and touches nothing in Cognito', async () => {
    const { cognito, versions, rotation } = deployed();
    versions.values.set(
      'v0',
      JSON.stringify({ clientId: 'someone-else', clientSecret: 'x'.repeat(30) }),
    );
    await expect(rotation('r1').createSecret()).rejects.toMatchObject({ code: 'client_mismatch' });
    expect(cognito.calls).toEqual([]);
  });

  it('ends the grace period on demand: the replaced secret stops working at once', async () => {
    const { initial, cognito, versions, events, rotation } = deployed();
    const r = rotation('r1');
    await expect(r.endGrace()).rejects.toMatchObject({ code: 'current_secret_unknown' });
    await r.rotate();
    await r.endGrace();
    expect([...cognito.active.keys()]).toEqual([versions.current.clientSecretId]);
    await expect(cognito.check(CLIENT, initial)).rejects.toThrow('invalid_client');
    expect(events.at(-1)).toMatchObject({ step: 'endGrace', event: 'retired' });
  });

  it('never puts a secret in what it reports', async () => {
    const { initial, cognito, events, rotation } = deployed();
    await rotation('r1').rotate();
    await rotation('r2').rotate();
    const reported = JSON.stringify(events);
    for (const secret of [initial, ...cognito.active.values()]) {
      expect(reported).not.toContain(secret);
    }
  });
});

describe('parsePublishedSecret', () => {
  it('reads the JSON a rotation writes, and a secret written alone by hand', () => {
    const secret = { clientId: 'abc', clientSecret: 's3cr3t', clientSecretId: 'abc--1' };
    expect(parsePublishedSecret(formatPublishedSecret(secret), 'abc')).toEqual(secret);
    expect(parsePublishedSecret('{"clientId":"abc","clientSecret":"s"}\n', 'abc')).toEqual({
      clientId: 'abc',
      clientSecret: 's',
    });
    expect(parsePublishedSecret('plain-secret\n', 'abc')).toEqual({
      clientId: 'abc',
      clientSecret: 'plain-secret',
    });
  });

  it.each([
    ['', 'neither JSON nor one secret'],
    ['two words', 'neither JSON nor one secret'],
    ['{"clientId":"abc"', 'not valid JSON'],
    ['{"clientId":"abc"}', 'no "clientSecret" string'],
    ['{"clientSecret":"s3cr3t-value"}', 'no "clientId" string'],
    [
      '{"clientId":"abc","clientSecret":"s3cr3t-value","clientSecretId":7}',
      '"clientSecretId" is not a string',
    ],
    [`{"clientId":"abc","clientSecret":"${'s'.repeat(5000)}"}`, 'over 4096 bytes'],
  ])('refuses %j, naming what is wrong and not the value', (text, why) => {
    let error: Error | undefined;
    try {
      parsePublishedSecret(text, 'abc');
    } catch (e) {
      error = e as Error;
    }
    expect(error).toMatchObject({ code: 'invalid_published_secret' });
    expect(error!.message).toContain(why);
    expect(error!.message).not.toContain('s3cr3t');
  });
});
