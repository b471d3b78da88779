import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

/**
 * What a request carries through its async work: its id, and a logger with `reqId` bound,
 * built on first use (most requests log nothing but their closing line, which does not
 * need it).
 */
export class RequestLogStore {
  private child?: Logger;

  constructor(
    private readonly root: Logger,
    readonly id: string,
  ) {}

  get logger(): Logger {
    return (this.child ??= this.root.child({ reqId: this.id }));
  }
}

/**
 * One store for every app of the process: the request being handled decides which app's
 * logger a line goes to, so apps sharing a process (in-process tests) keep their own.
 */
export const requestLogStorage = new AsyncLocalStorage<RequestLogStore>();
