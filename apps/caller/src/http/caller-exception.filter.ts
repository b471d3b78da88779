import { TokenEndpointError, TokenEndpointUnavailableError } from '@app/auth';
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import { isAxiosError } from 'axios';
import type { Request, Response } from 'express';

const DEPENDENCY = 'weather-api';
const TOKEN_ENDPOINT = 'token-endpoint';

interface Answer {
  status: number;
  body: Record<string, unknown>;
  retryAfter?: number;
}

/** `error="..."` of a `WWW-Authenticate: Bearer ...` header, if well-formed. */
function bearerErrorOf(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  return /\berror="([\w.-]{1,64})"/.exec(header)?.[1];
}

function bodyErrorOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const error = (data as Record<string, unknown>).error;
  return typeof error === 'string' && /^[\w.-]{1,64}$/.test(error) ? error : undefined;
}

/**
 * Turns what can go wrong behind the caller into answers a user can act on: the
 * dependency's 401/403 and the token endpoint's OAuth errors as 502 naming the error, an
 * unreachable issuer (no valid token left) or weather-api as 503 with `Retry-After`.
 * Nothing of a request to a dependency (headers, tokens) reaches the body or the log.
 */
@Catch()
export class CallerExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(CallerExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost) {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    const answer = this.map(exception);
    if (answer.status >= 500) {
      this.logger.warn(
        `${req.method} ${req.path} -> ${answer.status} ${JSON.stringify(answer.body)}`,
      );
    }
    if (answer.retryAfter !== undefined) res.setHeader('Retry-After', String(answer.retryAfter));
    res.status(answer.status).json(answer.body);
  }

  private map(exception: unknown): Answer {
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      return {
        status: exception.getStatus(),
        body: typeof body === 'object' ? (body as Record<string, unknown>) : { error: body },
      };
    }
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
    if (isAxiosError(exception)) {
      const response = exception.response;
      if (!response) {
        const timedOut = exception.code === 'ECONNABORTED' || exception.code === 'ETIMEDOUT';
        return {
          status: 503,
          retryAfter: 5,
          body: {
            error: 'service_unavailable',
            dependency: DEPENDENCY,
            dependency_error: timedOut ? 'timeout' : 'unreachable',
            error_description: `${DEPENDENCY} did not answer`,
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
          retryAfter: Number.isInteger(retryAfter) && retryAfter > 0 ? retryAfter : 5,
        }),
        body: {
          error: unavailable ? 'service_unavailable' : 'bad_gateway',
          dependency: DEPENDENCY,
          dependency_status: status,
          dependency_error: dependencyError,
          ...(!unavailable && { error_description: `${DEPENDENCY} answered ${status}` }),
        },
      };
    }
    this.logger.error(
      `Unexpected ${exception instanceof Error ? exception.name : typeof exception}`,
    );
    return { status: 500, body: { error: 'internal_error' } };
  }
}
