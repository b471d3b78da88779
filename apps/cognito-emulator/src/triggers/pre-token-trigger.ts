import { type Pool, triggerModulePath, userPoolRegion } from '@app/fleet-auth';
import { randomUUID } from 'node:crypto';
import { basename, extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TriggerError, TriggerModuleError } from './trigger.error.js';

/** Cognito waits 5 seconds for a Lambda trigger ("Customizing user pool workflows with Lambda triggers"). */
export const TRIGGER_TIMEOUT_MS = 5000;

/** A Lambda-style handler: the event in, the event (or a promise of it) out. */
export type TriggerHandler = (event: object, context: TriggerContext) => unknown;

/** The part of Lambda's context object a trigger may read. */
export interface TriggerContext {
  functionName: string;
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

/** The pool file's pre token generation module, loaded: its function's ARN and its handler. */
export interface PreTokenTrigger {
  /** What `DescribeUserPool` reports as the function, and `UpdateUserPool` must name to keep it. */
  arn: string;
  functionName: string;
  handler: TriggerHandler;
}

/**
 * The ARN the emulator gives the function of a trigger module: the pool's region, the
 * emulator's account (000000000000), and the module's file name as the function's name
 * (`triggers/tenant-claim.mjs` → `function:tenant-claim`).
 */
export function triggerFunctionArn(userPoolId: string, module: string): string {
  const region = userPoolRegion(userPoolId);
  const name = basename(module, extname(module))
    .replace(/[^\w-]/g, '-')
    .slice(0, 64);
  return `arn:aws:lambda:${region}:000000000000:function:${name}`;
}

/**
 * Imports the trigger module the pool file names (relative to the pool file), as the
 * emulator's start-up does before it listens: a module that cannot be imported or exports
 * no `handler` function stops start-up, naming the field. Undefined when the pool names none.
 */
export async function loadPreTokenTrigger(
  poolFile: string,
  pool: Pool,
): Promise<PreTokenTrigger | undefined> {
  const config = pool.userPool.lambdaConfig?.preTokenGenerationConfig;
  if (!config) return undefined;
  const field = 'userPool.lambdaConfig.preTokenGenerationConfig.module';
  const path = triggerModulePath(poolFile, config.module);
  let module: { handler?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as { handler?: unknown };
  } catch (cause) {
    throw new TriggerModuleError(`${field}: cannot import ${path}`, { cause });
  }
  if (typeof module.handler !== 'function') {
    throw new TriggerModuleError(`${field}: ${path} exports no handler function`);
  }
  const arn = triggerFunctionArn(pool.userPoolId, config.module);
  return {
    arn,
    functionName: arn.slice(arn.lastIndexOf(':') + 1),
    handler: module.handler as TriggerHandler,
  };
}

/**
 * Calls a trigger as Cognito calls its Lambda function, in this process: on a deep copy of
 * `event` (the function gets JSON, as from Lambda), answered within `timeoutMs`. A handler
 * that throws or rejects is `UserLambdaValidationException` ("PreTokenGeneration failed with
 * error <its message>."); one that does not settle in time is `UnexpectedLambdaException`.
 * A handler that blocks the event loop cannot be interrupted in-process.
 */
export async function invokeTrigger(
  trigger: Pick<PreTokenTrigger, 'functionName' | 'handler'>,
  event: object,
  timeoutMs = TRIGGER_TIMEOUT_MS,
): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  const context: TriggerContext = {
    functionName: trigger.functionName,
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new TriggerError(
            'UnexpectedLambdaException',
            'PreTokenGeneration invocation failed due to error Socket timeout while invoking Lambda function.',
          ),
        ),
      timeoutMs,
    );
  });
  try {
    // A handler that throws synchronously rejects, as an async one does.
    const run = new Promise((resolve) => resolve(trigger.handler(structuredClone(event), context)));
    return await Promise.race([
      run.catch((cause: unknown) => {
        throw new TriggerError(
          'UserLambdaValidationException',
          `PreTokenGeneration failed with error ${errorMessage(cause)}.`,
          { cause },
        );
      }),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** What Lambda reports of a function's error: its message, cut to a bounded length. */
function errorMessage(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  return text.length > 512 ? `${text.slice(0, 512)}...` : text;
}
