import { parsePool } from '@app/fleet-auth';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  invokeTrigger,
  loadPreTokenTrigger,
  triggerFunctionArn,
  type TriggerHandler,
} from './pre-token-trigger.js';
import { TriggerError, TriggerModuleError } from './trigger.error.js';

const trigger = (handler: TriggerHandler) => ({ functionName: 'test-trigger', handler });
const event = { version: '3', request: { scopes: ['api/read'] }, response: {} };

async function failureOf(promise: Promise<unknown>) {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TriggerError);
  const { failure, code, message } = err as TriggerError;
  return { failure, code, message };
}

describe('invoking a trigger', () => {
  it('hands the handler a copy of the event and a Lambda-like context, and returns its answer', async () => {
    let seen: { event: object; remaining: number; name: string } | undefined;
    const answer = await invokeTrigger(
      trigger((e, context) => {
        (e as { request: { scopes: string[] } }).request.scopes.push('mutated');
        seen = {
          event: e,
          remaining: context.getRemainingTimeInMillis(),
          name: context.functionName,
        };
        return Promise.resolve({ ok: true });
      }),
      event,
      1000,
    );
    expect(answer).toEqual({ ok: true });
    expect(event.request.scopes).toEqual(['api/read']);
    expect(seen?.name).toBe('test-trigger');
    expect(seen?.remaining).toBeGreaterThan(900);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('tenant unknown');
      },
    ],
    ['rejects', () => Promise.reject(new Error('tenant unknown'))],
  ])('answers a handler that %s with UserLambdaValidationException', async (_, handler) => {
    expect(await failureOf(invokeTrigger(trigger(handler), event, 1000))).toEqual({
      failure: 'UserLambdaValidationException',
      code: 'trigger_failed',
      message: 'PreTokenGeneration failed with error tenant unknown.',
    });
  });

  it('cuts a long error message', async () => {
    const { message } = await failureOf(
      invokeTrigger(
        trigger(() => {
          throw new Error('x'.repeat(10_000));
        }),
        event,
        1000,
      ),
    );
    expect(message.length).toBeLessThan(600);
  });

  it('answers a handler that does not settle in time with UnexpectedLambdaException', async () => {
    const started = Date.now();
    const result = await failureOf(
      invokeTrigger(
        trigger(() => new Promise(() => undefined)),
        event,
        200,
      ),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(result).toEqual({
      failure: 'UnexpectedLambdaException',
      code: 'trigger_timeout',
      message:
        'PreTokenGeneration invocation failed due to error Socket timeout while invoking Lambda function.',
    });
  });
});

describe('loading the trigger module', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trigger-module-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const pool = (module: string) =>
    parsePool({
      userPoolId: 'eu-west-1_Trig1',
      userPool: { lambdaConfig: { preTokenGenerationConfig: { lambdaVersion: 'V3_0', module } } },
      clients: [],
    });

  it('imports the handler of a module beside the pool file and names its function', async () => {
    await writeFile(join(dir, 'claims.mjs'), 'export const handler = async (event) => event;');
    const loaded = await loadPreTokenTrigger(join(dir, 'pool.json'), pool('claims.mjs'));
    expect(loaded).toMatchObject({
      arn: 'arn:aws:lambda:eu-west-1:000000000000:function:claims',
      functionName: 'claims',
    });
    expect(await loaded!.handler({ a: 1 }, {} as never)).toEqual({ a: 1 });
    expect(
      await loadPreTokenTrigger(
        join(dir, 'pool.json'),
        parsePool({ userPoolId: 'eu-west-1_T', clients: [] }),
      ),
    ).toBeUndefined();
  });

  it.each([
    ['no-handler.mjs', 'export const other = 1;', 'exports no handler function'],
    ['broken.mjs', 'export const handler = ;', 'cannot import'],
  ])('refuses %s, naming the field', async (name, text, message) => {
    await writeFile(join(dir, name), text);
    const err = await loadPreTokenTrigger(join(dir, 'pool.json'), pool(name)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TriggerModuleError);
    expect(err).toMatchObject({
      code: 'invalid_trigger_module',
      message: expect.stringContaining(`userPool.lambdaConfig.preTokenGenerationConfig.module: `),
    });
    expect((err as Error).message).toContain(message);
  });

  it('names the function after the file, as Lambda names go', () => {
    expect(triggerFunctionArn('us-east-1_X', 'triggers/tenant claim.v2.mjs')).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:tenant-claim-v2',
    );
  });
});
