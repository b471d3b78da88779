import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost } from '@nestjs/core';
import { AxiosError } from 'axios';
import {
  ClientSecretUnavailableError,
  DownstreamError,
  type DownstreamFailure,
  TokenEndpointError,
  TokenEndpointUnavailableError,
} from './client.errors.js';
import { dependencyOf } from './m2m-http.interceptors.js';

/** How the token endpoint is named in answers. */
const TOKEN_ENDPOINT = 'token-endpoint';

/** What the filter answers. */
export interface M2MErrorAnswer {
  status: number;
  body: Record<string, unknown>;
  retryAfter?: number;
}

/** The error codes of RFC 6750 §3.1: the only downstream error values passed on. */
const BEARER_ERRORS: ReadonlySet<string> = new Set([
  'invalid_request',
  'invalid_token',
  'insufficient_scope',
]);

/** `error="..."` of a `WWW-Authenticate: Bearer ...` header, if it is one of RFC 6750's. */
function bearerErrorOf(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const error = /\berror="([^"]*)"/.exec(header)?.[1];
  return error !== undefined && BEARER_ERRORS.has(error) ? error : undefined;
}

/** The body's `error`, if it is one of RFC 6750's. */
function bodyErrorOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const error = (data as Record<string, unknown>).error;
  return typeof error === 'string' && BEARER_ERRORS.has(error) ? error : undefined;
}

/** How a `DownstreamError` is answered: status and `dependency_error`. */
const DOWNSTREAM_FAILURES: Record<DownstreamFailure, [number, string]> = {
  downstream_timeout: [503, 'timeout'],
  downstream_too_large: [502, 'response_too_large'],
  downstream_not_json: [502, 'invalid_response'],
};

/**
 * The answer to a failed M2M call, naming what failed: the token endpoint's OAuth errors
 * as 502 naming the error; the token endpoint unreachable with no valid token left as 503
 * with `Retry-After`; the client's secret source unreadable with no valid token left as 503
 * (`client-secret`); the downstream (by its `dependency`, the client's `downstream` or
 * name) unreachable or past its deadline as 503, answering 503 as 503 with its
 * `Retry-After`, an answer too large or not JSON as 502, anything else (401 after the
 * retry, 403, 5xx) as 502 with its status and, when it names one, its RFC 6750 error code
 * (`invalid_token`, `insufficient_scope`, `invalid_request`; else `http_<status>`).
 * `undefined` for an axios error of another instance. Nothing of the request (headers,
 * tokens) or of the downstream's answer beyond those codes is echoed.
 *
 * @example
 * ```ts
 * m2mErrorAnswer(new TokenEndpointError('invalid_client', 'svc', 400));
 * // { status: 502, body: { error: 'bad_gateway', dependency: 'token-endpoint', dependency_error: 'invalid_client', ... } }
 * ```
 */
export function m2mErrorAnswer(exception: unknown): M2MErrorAnswer | undefined {
  if (exception instanceof TokenEndpointError) {
    return {
      status: 502,
      body: {
        error: 'bad_gateway',
        dependency: TOKEN_ENDPOINT,
        dependency_error: exception.code,
        error_description: `The token endpoint refused client "${exception.clientId}": ${exception.code}`,
      },
    };
  }
  if (exception instanceof TokenEndpointUnavailableError) {
    return {
      status: 503,
      retryAfter: exception.retryAfterSeconds,
      body: {
        error: 'service_unavailable',
        dependency: TOKEN_ENDPOINT,
        dependency_error: 'unavailable',
        error_description: 'The token endpoint is unreachable and no valid token is cached',
      },
    };
  }
  if (exception instanceof ClientSecretUnavailableError) {
    return {
      status: 503,
      retryAfter: 5,
      body: {
        error: 'service_unavailable',
        dependency: 'client-secret',
        dependency_error: 'unavailable',
        error_description: `The client secret (${exception.source}) could not be read: ${exception.reason}`,
      },
    };
  }
  if (exception instanceof DownstreamError) {
    const [status, dependencyError] = DOWNSTREAM_FAILURES[exception.code];
    return {
      status,
      ...(status === 503 && { retryAfter: 5 }),
      body: {
        error: status === 503 ? 'service_unavailable' : 'bad_gateway',
        dependency: exception.dependency,
        dependency_error: dependencyError,
        error_description: exception.message,
      },
    };
  }
  const dependency = exception instanceof AxiosError ? dependencyOf(exception) : undefined;
  if (!(exception instanceof AxiosError) || dependency === undefined) return undefined;
  const response = exception.response;
  if (!response) {
    return {
      status: 503,
      retryAfter: 5,
      body: {
        error: 'service_unavailable',
        dependency,
        dependency_error: 'unreachable',
        error_description: `${dependency} did not answer`,
      },
    };
  }
  const status = response.status;
  const dependencyError =
    bearerErrorOf(response.headers['www-authenticate']) ??
    bodyErrorOf(response.data) ??
    `http_${status}`;
  // A 503 passes on (503 + Retry-After); anything else is the dependency's fault (502).
  const unavailable = status === 503;
  const retryAfter = Number(response.headers['retry-after']);
  return {
    status: unavailable ? 503 : 502,
    ...(unavailable && {
      retryAfter: Number.isInteger(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 3600) : 5,
    }),
    body: {
      error: unavailable ? 'service_unavailable' : 'bad_gateway',
      dependency,
      dependency_status: status,
      dependency_error: dependencyError,
      ...(!unavailable && { error_description: `${dependency} answered ${status}` }),
    },
  };
}

/**
 * Answers what a route's M2M calls failed with ({@link m2mErrorAnswer}), logging each 5xx
 * answer once (method, path, body: never a token). Registered globally by
 * `M2MClientModule`; an axios error of another instance goes on to Nest's default handling.
 */
@Catch(
  TokenEndpointError,
  TokenEndpointUnavailableError,
  ClientSecretUnavailableError,
  DownstreamError,
  AxiosError,
)
export class M2MErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(M2MErrorFilter.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const adapter = this.adapterHost.httpAdapter;
    const answer = m2mErrorAnswer(exception);
    if (!answer) {
      new BaseExceptionFilter(adapter).catch(exception, host);
      return;
    }
    const ctx = host.switchToHttp();
    const req: unknown = ctx.getRequest();
    const res: unknown = ctx.getResponse();
    const method = String(adapter.getRequestMethod(req));
    const path = requestPath(String(adapter.getRequestUrl(req)));
    this.logger.warn(`${method} ${path} -> ${answer.status} ${JSON.stringify(answer.body)}`);
    if (answer.retryAfter !== undefined) {
      adapter.setHeader(res, 'Retry-After', String(answer.retryAfter));
    }
    adapter.reply(res, answer.body, answer.status);
  }
}

/** The path of a request URL, without the query string (which may carry credentials). */
function requestPath(url: string): string {
  return url.split('?', 1)[0];
}
