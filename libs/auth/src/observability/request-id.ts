import { Injectable } from '@nestjs/common';
import type { AxiosInstance } from 'axios';
import { currentRequestId, REQUEST_ID_HEADER } from '../shared/request-context.js';

/**
 * Adds a request interceptor to `axios` that sets `x-request-id` from `currentId()` on
 * every outgoing call that does not set one itself (M2M clients' calls carry it already). Returns the interceptor id (for
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
    return currentRequestId();
  }

  /** Forwards the current request's id on every call made through `axios`. */
  propagateTo(axios: AxiosInstance): number {
    return propagateRequestId(axios, () => this.currentId());
  }
}
