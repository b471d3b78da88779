import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { flushTraces } from './tracing.js';

/**
 * Sends the spans still queued when the app shuts down (after its server closed, so every
 * request's span has ended). A no-op with tracing off. Provided by `LoggingModule`.
 */
@Injectable()
export class TraceFlush implements OnApplicationShutdown {
  onApplicationShutdown(): Promise<void> {
    return flushTraces();
  }
}
