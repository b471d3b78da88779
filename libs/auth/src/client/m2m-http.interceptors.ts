import {
  AxiosError,
  type AxiosInstance,
  type AxiosResponseHeaders,
  type InternalAxiosRequestConfig,
  isAxiosError,
} from 'axios';
import { currentRequestId, REQUEST_ID_HEADER } from '../shared/request-context.js';
import { DownstreamError, TokenRejectedError } from './client.errors.js';
import type { M2MClientMetrics } from './client.metrics.js';
import type { TokenProvider } from './token-provider.js';

// As axios decides "absolute": a scheme, or a protocol-relative `//host`.
const ABSOLUTE = /^([a-z][a-z\d+\-.]*:)?\/\//i;

/**
 * What one call of an M2M client carries between its interceptors, on the axios config under
 * one key. A string key, as axios's mergeConfig keeps unknown string keys (not symbols) across
 * the retry after a 401: the retry gets a copy of this object, the deadline and `retried` in it.
 */
const CALL = '__m2m';

interface M2MCall {
  /** The call's total deadline: set on its first attempt, kept by the retry. */
  deadline?: AbortSignal;
  /** The request goes to another origin than the client's: no token. */
  elsewhere?: boolean;
  /** A valid token in memory when the request started (the synchronous path). */
  warmToken?: string;
  /** The token the request was sent with. */
  token?: string;
  /** When it was sent (performance.now()), for the duration metric. */
  started?: number;
  /** Set once the call has been retried after a 401: never twice. */
  retried?: boolean;
  /** The downstream its errors name. */
  dependency?: string;
}

type M2MConfig = InternalAxiosRequestConfig & { [CALL]?: M2MCall };

/** The call state of `config`, created on first use. */
const callOf = (config: M2MConfig): M2MCall => (config[CALL] ??= {});

/** `application/json` or a `+json` type (RFC 6839). */
const JSON_TYPE = /^application\/(?:[\w.!#$&^-]+\+)?json\s*(?:;|$)/i;

/**
 * axios's `transformResponse` for the default `responseType: 'json'`, strict: a 2xx body
 * must be declared JSON and parse, or the call fails with `downstream_not_json` (axios
 * would silently hand on the raw text, a `text/plain` script included); an empty one is
 * `undefined`. An error answer's body is kept only when it is JSON, for its `error` code.
 * Any other `responseType` gets the body as axios decoded it.
 */
function strictJson(dependency: string) {
  return function decode(
    this: InternalAxiosRequestConfig,
    data: unknown,
    headers: AxiosResponseHeaders,
    status?: number,
  ): unknown {
    if ((this.responseType ?? 'json') !== 'json' || typeof data !== 'string') return data;
    const success = status !== undefined && status >= 200 && status < 300;
    if (success && data === '') return undefined;
    const declared = JSON_TYPE.test(String(headers['content-type'] ?? ''));
    try {
      if (declared) return JSON.parse(data) as unknown;
    } catch (cause) {
      if (success) {
        throw new DownstreamError(
          'downstream_not_json',
          dependency,
          `${dependency} answered ${status} with a body that is not valid JSON`,
          { cause },
        );
      }
      return undefined;
    }
    if (!success) return undefined;
    throw new DownstreamError(
      'downstream_not_json',
      dependency,
      `${dependency} answered ${status} with a body that is not declared JSON`,
    );
  };
}

/**
 * The downstream an axios error of an M2M client's call is about (its `downstream`, or the
 * client's name), or `undefined` for an error of any other axios instance.
 */
export function dependencyOf(error: AxiosError): string | undefined {
  return (error.config as M2MConfig | undefined)?.[CALL]?.dependency;
}

function statusClass(status: number | undefined) {
  return status === undefined ? 'error' : `${Math.floor(status / 100)}xx`;
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * Takes the token out of an error before it leaves the client: the config's header and
 * our own keys, and the Node request objects (`error.request`, `response.request`) whose
 * raw header text still holds it. Status, response headers and body stay.
 */
function sanitize(error: AxiosError) {
  const config = error.config as M2MConfig | undefined;
  if (config) {
    const headers = config.headers;
    if (headers?.has?.('Authorization')) headers.set('Authorization', '[REDACTED]');
    const call = config[CALL];
    if (call) call.token = call.warmToken = undefined;
  }
  error.request = undefined;
  if (error.response) {
    error.response.request = undefined;
    if (config) error.response.config = config;
  }
}

/** Where an M2M client's calls go, how its errors name that place, and its bounds. */
export interface M2MTarget {
  baseURL?: string;
  /** Names the downstream in error answers (`dependency`). */
  dependency: string;
  /** Total deadline of a call, its 401 retry included, in ms. */
  deadlineMs: number;
  /** Largest response body accepted, in bytes. */
  maxResponseBytes: number;
}

/**
 * A deadline or size failure of `error` (a call of this client) as a `DownstreamError`, or
 * `undefined`. axios reports a body over `maxContentLength` as `ERR_BAD_RESPONSE` without a
 * response (every other `ERR_BAD_RESPONSE` of its http adapter carries the response).
 */
function boundsFailure(
  error: AxiosError,
  config: M2MConfig | undefined,
  { dependency, deadlineMs, maxResponseBytes }: M2MTarget,
): DownstreamError | undefined {
  const timedOut =
    config?.[CALL]?.deadline?.aborted === true ||
    error.code === AxiosError.ECONNABORTED ||
    error.code === AxiosError.ETIMEDOUT;
  if (timedOut) {
    return new DownstreamError(
      'downstream_timeout',
      dependency,
      `${dependency} did not answer within ${deadlineMs} ms`,
      { cause: error },
    );
  }
  if (error.code === AxiosError.ERR_BAD_RESPONSE && !error.response) {
    return new DownstreamError(
      'downstream_too_large',
      dependency,
      `${dependency} answered more than ${maxResponseBytes} bytes`,
      { cause: error },
    );
  }
  return undefined;
}

/**
 * Attaches `Authorization: Bearer <token>` and the current request's `x-request-id` to the
 * requests of `instance` that go to the origin of `baseURL` (all requests when there is no
 * `baseURL`), and on a 401 to such a request gets a new token and retries it once (never
 * on 403, never twice, and not while a freshly fetched token's rejection holds forced
 * refreshes off: then the 401 stands). Every call of `instance` is bounded: aborted at its
 * total deadline, its body capped, a 2xx body that is not JSON refused (see `strictJson`),
 * each as a `DownstreamError`. Errors leave without the token, tagged with the dependency.
 */
export function attachM2MInterceptors(
  instance: AxiosInstance,
  provider: TokenProvider,
  metrics: M2MClientMetrics,
  target: M2MTarget,
) {
  const { baseURL, dependency, deadlineMs } = target;
  instance.defaults.maxContentLength = target.maxResponseBytes;
  instance.defaults.transformResponse = [strictJson(dependency)];
  const clientId = provider.clientId;
  const origin = baseURL === undefined ? undefined : originOf(baseURL);
  // Where the request resolves to, as axios resolves it: an absolute URL as is, a relative
  // one against the request's baseURL. The common case (relative URL, the default baseURL)
  // costs a regex test and a string comparison.
  const elsewhere = (config: M2MConfig): boolean => {
    if (baseURL === undefined) return false;
    const url = config.url ?? '';
    if (ABSOLUTE.test(url)) return originOf(url) !== origin;
    const base = config.baseURL;
    return base !== baseURL && (base === undefined || originOf(base) !== origin);
  };
  const observe = (config: M2MConfig | undefined, status: number | undefined) => {
    const started = config?.[CALL]?.started;
    if (!metrics.downstreamDuration || started === undefined) return;
    metrics.downstreamDuration.observe(
      {
        client_id: clientId,
        method: (config?.method ?? 'get').toUpperCase(),
        status_class: statusClass(status),
      },
      (performance.now() - started) / 1000,
    );
  };

  const attach = (config: M2MConfig, token: string) => {
    config.headers.set('Authorization', `Bearer ${token}`);
    const requestId = currentRequestId();
    if (requestId !== undefined && !config.headers.has(REQUEST_ID_HEADER)) {
      config.headers.set(REQUEST_ID_HEADER, requestId);
    }
    const call = callOf(config);
    call.token = token;
    call.started = performance.now();
    return config;
  };
  // The deadline of the call: on its first attempt only, so the retry after a 401 shares it.
  // Registered first, so axios runs it last, after the token is attached.
  instance.interceptors.request.use(
    (config: M2MConfig) => {
      const call = callOf(config);
      if (call.deadline) return config;
      const deadline = AbortSignal.timeout(deadlineMs);
      call.deadline = deadline;
      config.signal = config.signal
        ? AbortSignal.any([config.signal as AbortSignal, deadline])
        : deadline;
      return config;
    },
    undefined,
    { synchronous: true },
  );
  // Two more request interceptors, exactly one of which runs per request. axios evaluates every
  // `runWhen` in registration order before running any interceptor, and stays on its
  // synchronous path only when every interceptor that runs is `synchronous`. So with a
  // valid token in memory (the warm path) the token is attached with no promise hop; only
  // a call that has to wait for a token goes through the asynchronous one.
  instance.interceptors.request.use(
    (config: M2MConfig) => attach(config, callOf(config).warmToken as string),
    undefined,
    {
      synchronous: true,
      runWhen: (config: M2MConfig) => {
        const call = callOf(config);
        call.elsewhere = elsewhere(config);
        call.warmToken = call.elsewhere ? undefined : provider.peekToken();
        return call.warmToken !== undefined;
      },
    },
  );
  instance.interceptors.request.use(
    async (config: M2MConfig) => attach(config, await provider.getToken()),
    undefined,
    {
      runWhen: (config: M2MConfig) => {
        const call = callOf(config);
        return !call.elsewhere && call.warmToken === undefined;
      },
    },
  );

  instance.interceptors.response.use(
    (response) => {
      observe(response.config as M2MConfig, response.status);
      return response;
    },
    async (error: unknown) => {
      // A request interceptor's failure (no token to be had) passes through here too.
      if (!isAxiosError(error)) throw error;
      const config = error.config as M2MConfig | undefined;
      const call = config && callOf(config);
      if (call) call.dependency = dependency;
      observe(config, error.response?.status);
      const bounded = boundsFailure(error, config, target);
      if (bounded) {
        sanitize(error);
        throw bounded;
      }
      if (error.response?.status === 401 && call?.token !== undefined && !call.retried) {
        call.retried = true;
        try {
          await provider.getToken({ forceRefresh: true, rejectedToken: call.token });
        } catch (refused) {
          // A fresh token was rejected already: no new one now, the 401 stands (no storm).
          if (refused instanceof TokenRejectedError) throw error;
          throw refused;
        } finally {
          sanitize(error);
        }
        return instance.request(config as M2MConfig);
      }
      sanitize(error);
      throw error;
    },
  );
}
