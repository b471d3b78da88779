import type { AxiosError, AxiosInstance, InternalAxiosRequestConfig } from 'axios';
import type { M2MClientMetrics } from './client.metrics.js';
import type { TokenProvider } from './token-provider.js';

// String keys: axios's mergeConfig keeps unknown string keys across a retry, not symbols.
const RETRIED = '__m2mRetried';
const TOKEN = '__m2mToken';
const STARTED = '__m2mStarted';
const FAST = '__m2mFastToken';

type M2MConfig = InternalAxiosRequestConfig & {
  [RETRIED]?: boolean;
  [TOKEN]?: string;
  [STARTED]?: number;
  [FAST]?: string;
};

function statusClass(status: number | undefined) {
  return status === undefined ? 'error' : `${Math.floor(status / 100)}xx`;
}

function redact(error: AxiosError) {
  const headers = error.config?.headers;
  if (headers?.has?.('Authorization')) headers.set('Authorization', '[REDACTED]');
}

/**
 * Attaches `Authorization: Bearer <token>` to every request of `instance`, and on a 401
 * gets a new token and retries the request once (never on 403, never twice).
 */
export function attachM2MInterceptors(
  instance: AxiosInstance,
  provider: TokenProvider,
  metrics: M2MClientMetrics,
) {
  const clientId = provider.clientId;
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
      runWhen: (config: M2MConfig) => (config[FAST] = provider.peekToken()) !== undefined,
    },
  );
  instance.interceptors.request.use(
    async (config: M2MConfig) => attach(config, await provider.getToken()),
    undefined,
    { runWhen: (config: M2MConfig) => config[FAST] === undefined },
  );

  instance.interceptors.response.use(
    (response) => {
      observe(response.config as M2MConfig, response.status);
      return response;
    },
    async (error: AxiosError) => {
      const config = error.config as M2MConfig | undefined;
      observe(config, error.response?.status);
      if (error.response?.status === 401 && config && !config[RETRIED]) {
        config[RETRIED] = true;
        await provider.getToken({ forceRefresh: true, rejectedToken: config[TOKEN] });
        return instance.request(config);
      }
      redact(error);
      throw error;
    },
  );
}
