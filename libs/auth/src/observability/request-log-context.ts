import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

/** What a request carries through its async work: its logger (with `reqId`) and its id. */
export interface RequestLogStore {
  logger: Logger;
  id: string;
}

/**
 * One store for every app of the process: the request being handled decides which app's
 * logger a line goes to, so apps sharing a process (in-process tests) keep their own.
 */
export const requestLogStorage = new AsyncLocalStorage<RequestLogStore>();
