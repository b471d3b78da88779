import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Injectable } from '@nestjs/common';
import type { AxiosInstance } from 'axios';
import { requestLogStorage } from './request-log-context.js';

/** The header carrying the request id in, out, and on to downstream calls. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * An id safe to echo in a log line or header: short, printable, no separators that could
 * forge log fields or headers. Used for request ids here and client ids in the JWT guard's
 * log; internal to the library (not exported from its index).
 */
export const SAFE_ID = /^[\w.-]{1,128}$/;

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

/**
 * Adds a request interceptor to `axios` that sets `x-request-id` from `currentId()` on
 * every outgoing call that does not set one itself. Returns the interceptor id (for
 * `axios.interceptors.request.eject`).
 *
 * @example
 * ```ts
 * propagateRequestId(httpService.axiosRef, () => requestIds.currentId());
 * ```
 */
export function propagateRequestId(
  axios: AxiosInstance,
  currentId: () => string | undefined,
): number {
  // Synchronous: no promise hop per call (it does no I/O).
  return axios.interceptors.request.use(
    (config) => {
      const id = currentId();
      if (id !== undefined && !config.headers.has(REQUEST_ID_HEADER)) {
        config.headers.set(REQUEST_ID_HEADER, id);
      }
      return config;
    },
    undefined,
    { synchronous: true },
  );
}

/**
 * The id of the request being handled, read from the logging context `LoggingModule`
 * keeps per request (AsyncLocalStorage), so it is available in any service without
 * passing the request around. Provided by `LoggingModule`.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class WeatherClient implements OnModuleInit {
 *   constructor(private readonly http: HttpService, private readonly ids: RequestIdContext) {}
 *   onModuleInit() { this.ids.propagateTo(this.http.axiosRef); }
 * }
 * ```
 */
@Injectable()
export class RequestIdContext {
  /** The current request's id, or `undefined` outside a request. */
  currentId(): string | undefined {
    return requestLogStorage.getStore()?.id;
  }

  /** Forwards the current request's id on every call made through `axios`. */
  propagateTo(axios: AxiosInstance): number {
    return propagateRequestId(axios, () => this.currentId());
  }
}
