import { type ArgumentsHost, Catch, HttpException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Response } from 'express';

interface BodyParserError {
  type: string;
  status: number;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as BodyParserError).type === 'string' &&
    typeof (err as BodyParserError).status === 'number'
  );
}

/** Body-parser failures as JSON 4xx (malformed JSON 400, too large 413, ...); the rest as Nest does. */
@Catch()
export class BodyParserErrorFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    // Nest's Express adapter wraps body-parser errors in an HttpException (cause: the original).
    const raw = exception instanceof HttpException ? exception.cause : exception;
    if (isBodyParserError(raw)) {
      const res = host.switchToHttp().getResponse<Response>();
      const status = raw.status >= 400 && raw.status < 500 ? raw.status : 400;
      res.status(status).json({
        error: status === 413 ? 'payload_too_large' : 'invalid_request',
        error_description:
          raw.type === 'entity.parse.failed'
            ? 'the request body is not valid JSON'
            : raw.type === 'entity.too.large'
              ? 'the request body is too large'
              : 'the request body could not be read',
      });
      return;
    }
    super.catch(exception, host);
  }
}
