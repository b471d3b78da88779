import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { CognitoIdpError } from '../idp/cognito-idp.error.js';
import { OAuthError } from '../oauth/oauth.error.js';
import { MethodNotAllowedError } from './method-not-allowed.error.js';

type Dialect = 'oauth' | 'idp' | 'plain';

function dialectOf(req: Request): Dialect {
  const path = req.path;
  if (path === '/oauth2/token') return 'oauth';
  if (path === '/') return 'idp';
  return 'plain';
}

/**
 * Every error leaves as JSON in the dialect of its endpoint: OAuth
 * `{"error","error_description"}` on /oauth2/token, Cognito `{"__type","message"}`
 * on `POST /`, `{"statusCode","error","message"}` elsewhere. Body-parser errors
 * (413 and friends) included; nothing from the request body is logged.
 */
@Catch()
export class EmulatorExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(EmulatorExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    if (res.headersSent) return;
    const dialect = dialectOf(req);

    if (exception instanceof OAuthError) {
      this.send(
        res,
        400,
        { error: exception.code, error_description: exception.description },
        true,
      );
      return;
    }
    if (exception instanceof CognitoIdpError) {
      res
        .status(400)
        .type('application/x-amz-json-1.1')
        .send(JSON.stringify({ __type: exception.type, message: exception.message }));
      return;
    }
    if (exception instanceof MethodNotAllowedError) {
      res.setHeader('Allow', exception.allow.join(', '));
      this.render(res, dialect, 405, exception.message);
      return;
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const status = exception.getStatus();
      const message =
        status === 413
          ? 'request body larger than 16 KiB'
          : status === 404
            ? exception.message
            : (HttpStatus[status]?.toLowerCase().replace(/_/g, ' ') ?? 'bad request');
      this.render(res, dialect, status, message);
      return;
    }
    this.logger.error(
      `unhandled error on ${req.method} ${req.path}`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    this.render(res, dialect, 500, 'internal error');
  }

  private render(res: Response, dialect: Dialect, status: number, message: string): void {
    if (dialect === 'oauth') {
      this.send(res, status, { error: 'invalid_request', error_description: message }, true);
    } else if (dialect === 'idp') {
      const type =
        status === 413 || status === 400 ? 'SerializationException' : 'InvalidParameterException';
      res
        .status(status)
        .type('application/x-amz-json-1.1')
        .send(JSON.stringify({ __type: type, message }));
    } else {
      const error = HttpStatus[status] ?? 'ERROR';
      this.send(res, status, { statusCode: status, error, message }, false);
    }
  }

  private send(res: Response, status: number, body: object, noStore: boolean): void {
    if (noStore) {
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Pragma', 'no-cache');
    }
    res.status(status).json(body);
  }
}
