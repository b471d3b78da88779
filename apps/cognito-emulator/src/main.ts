import { Logger } from '@nestjs/common';
import { startEmulator } from './bootstrap.js';
import { lowerThreadPoolPriority, THREAD_POOL_NICE } from './tokens/thread-pool-priority.js';

await startEmulator();
const lowered = await lowerThreadPoolPriority();
if (lowered > 0) {
  new Logger('CognitoEmulator').log(
    `${lowered} signing threads (libuv's pool) at nice ${THREAD_POOL_NICE}, below the event loop`,
  );
}
