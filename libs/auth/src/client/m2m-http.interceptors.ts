import {
  type AxiosError,
  type AxiosInstance,
  type InternalAxiosRequestConfig,
  isAxiosError,
} from 'axios';
import { currentRequestId, REQUEST_ID_HEADER } from '../shared/request-context.js';
import { TokenRejectedError } from './client.errors.js';
import type { M2MClientMetrics } from './client.metrics.js';
import type { TokenProvider } from './token-provider.js';

// String keys: axios's mergeConfig keeps unknown string keys across a retry, not symbols.
const RETRIED = '__m2mRetried';
const TOKEN = '__m2mToken';
const STARTED = '__m2mStarted';
const FAST = '__m2mFastToken';
const SKIP = '__m2mSkip';
const DEPENDENCY = '__m2mDependency';
// As axios decides "absolute": a scheme, or a protocol-relative `//host`.
const ABSOLUTE = /^([a-z][a-z\d+\-.]*:)?\/\//i;

type M2MConfig = InternalAxiosRequestConfig & {
  [RETRIED]?: boolean;
  [TOKEN]?: string;
  [STARTED]?: number;
  [FAST]?: string;
  [SKIP]?: boolean;
  [DEPENDENCY]?: string;
};

/**
 * The downstream an axios error of an M2M client's call is about (its `downstream`, or the
 * client's name), or `undefined` for an error of any other axios instance.
 */
export function dependencyOf(error: AxiosError): string | undefined {
  return (error.config as M2MConfig | undefined)?.[DEPENDENCY];
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
    delete config[TOKEN];
    delete config[FAST];
  }
  error.request = undefined;
  if (error.response) {
    error.response.request = undefined;
    if (config) error.response.config = config;
  }
}

/** Where an M2M client's calls go and how its errors name that place. */
export interface M2MTarget {
  baseURL?: string;
  /** Names the downstream in error answers (`dependency`). */
  dependency: string;
}

/**
 * Attaches `Authorization: Bearer <token>` and the current request's `x-request-id` to the
 * requests of `instance` that go to the origin of `baseURL` (all requests when there is no
 * `baseURL`), and on a 401 to such a request gets a new token and retries it once (never
 * on 403, never twice, and not while a freshly fetched token's rejection holds forced
 * refreshes off: then the 401 stands). Errors leave without the token, tagged with the
 * dependency.
 */
export function attachM2MInterceptors(
  instance: AxiosInstance,
  provider: TokenProvider,
  metrics: M2MClientMetrics,
  { baseURL, dependency }: M2MTarget,
) {
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
    const started = config?.[STARTED];
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
    config[TOKEN] = token;
    config[STARTED] = performance.now();
    return config;
  };
  // Two request interceptors, exactly one of which runs per request. axios evaluates every
  // `runWhen` in registration order before running any interceptor, and stays on its
  // synchronous path only when every interceptor that runs is `synchronous`. So with a
  // valid token in memory (the warm path) the token is attached with no promise hop; only
  // a call that has to wait for a token goes through the asynchronous one.
  instance.interceptors.request.use(
    (config: M2MConfig) => attach(config, config[FAST] as string),
    undefined,
    {
      synchronous: true,
      runWhen: (config: M2MConfig) =>
        !(config[SKIP] = elsewhere(config)) && (config[FAST] = provider.peekToken()) !== undefined,
    },
  );
  instance.interceptors.request.use(
    async (config: M2MConfig) => attach(config, await provider.getToken()),
    undefined,
    { runWhen: (config: M2MConfig) => !config[SKIP] && config[FAST] === undefined },
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
      if (config) config[DEPENDENCY] = dependency;
      observe(config, error.response?.status);
      if (error.response?.status === 401 && config?.[TOKEN] !== undefined && !config[RETRIED]) {
        config[RETRIED] = true;
        try {
          await provider.getToken({ forceRefresh: true, rejectedToken: config[TOKEN] });
        } catch (refused) {
          // A fresh token was rejected already: no new one now, the 401 stands (no storm).
          if (refused instanceof TokenRejectedError) throw error;
          throw refused;
        } finally {
          sanitize(error);
        }
        return instance.request(config);
      }
      sanitize(error);
      throw error;
    },
  );
}
