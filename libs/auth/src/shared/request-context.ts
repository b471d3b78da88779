import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The header carrying the request id in, out, and on to downstream calls. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * An id safe to echo in a log line or header: short, printable, no separators that could
 * forge log fields or headers. Used for request ids and for the client ids the resource
 * server logs.
 */
export const SAFE_ID = /^[\w.-]{1,128}$/;

/** What a request carries through its async work. */
export interface RequestContext {
  readonly id: string;
}

/**
 * One store for every app of the process: the request being handled decides which app's
 * context (and logger) a line goes to, so apps sharing a process (in-process tests) keep
 * their own. Entered by the observability part for each request; read by the M2M client to
 * forward the id.
 */
export const requestContext = new AsyncLocalStorage<RequestContext>();

/** The id of the request being handled, or `undefined` outside a request. */
export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.id;
}

/**
 * The id of an incoming request: the caller's `x-request-id` when it is safe to echo
 * (1 to 128 of `[A-Za-z0-9_.-]`), a new UUID otherwise.
 *
 * @example
 * ```ts
 * requestIdFrom({ 'x-request-id': 'abc-1' }); // 'abc-1'
 * requestIdFrom({ 'x-request-id': 'a b\n' }); // a fresh UUID
 * ```
 */
export function requestIdFrom(headers: IncomingHttpHeaders): string {
  const incoming = headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : randomUUID();
}
