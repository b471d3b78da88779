import { Logger } from '@nestjs/common';
import { startEmulator, type StartedEmulator, type StartEmulatorOptions } from './bootstrap.js';
import { lowerThreadPoolPriority, THREAD_POOL_NICE } from './tokens/thread-pool-priority.js';

/**
 * Runs the emulator as this process's server, the one way its entry points do (`main.ts`,
 * and the package's `cognito-m2m-emulator` command): {@link startEmulator}, then libuv's
 * signing threads below the event loop (a property of the process, so not done by
 * `startEmulator`, which tests run inside their own processes).
 *
 * @example
 * ```ts
 * await serveEmulator(process.env);
 * ```
 */
export async function serveEmulator(
  env: NodeJS.ProcessEnv,
  options?: StartEmulatorOptions,
): Promise<StartedEmulator> {
  const started = await startEmulator(env, options);
  const lowered = await lowerThreadPoolPriority();
  if (lowered > 0) {
    new Logger('CognitoEmulator').log(
      `${lowered} signing threads (libuv's pool) at nice ${THREAD_POOL_NICE}, below the event loop`,
    );
  }
  return started;
}
