import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import type { FastifyReply as Response, FastifyRequest as Request } from 'fastify';
import { CognitoIdpError } from '../aws-json/cognito-idp.error.js';
import type { EmulatorConfig } from '../config/emulator-config.js';
import { EMULATOR_CONFIG } from '../emulator.tokens.js';
import { OAuthError } from '../oauth/oauth.error.js';
import { PoolStore } from '../pool/pool-store.js';
import { bodyLimitOf } from './body-limits.js';
import { MethodNotAllowedError } from './method-not-allowed.error.js';
import { pathOf } from './token-cors.js';

type Dialect = 'oauth' | 'idp' | 'plain';

/** The methods of each path the emulator serves, for 405 and `Allow`. */
function allowedMethods(poolId: string, admin: boolean): Map<string, string[]> {
  const allowed = new Map<string, string[]>([
    ['/', ['POST']],
    ['/oauth2/token', ['POST']],
    ['/oauth2/revoke', ['POST']],
    ['/oauth2/userInfo', ['GET', 'HEAD', 'POST']],
    [`/${poolId}/.well-known/jwks.json`, ['GET', 'HEAD']],
    [`/${poolId}/.well-known/openid-configuration`, ['GET', 'HEAD']],
  ]);
  if (admin) allowed.set('/_emulator/rotate-keys', ['POST']);
  return allowed;
}

function dialectOf(path: string): Dialect {
  if (path.startsWith('/oauth2/')) return 'oauth';
  if (path === '/') return 'idp';
  return 'plain';
}

/**
 * Every error leaves as JSON in the dialect of its endpoint: OAuth
 * `{"error","error_description"}` on /oauth2/token, Cognito `{"__type","message"}`
 * on `POST /`, `{"statusCode","error","message"}` elsewhere. Body-parser errors
 * (413 and friends) included; nothing from the request body is logged.
 *
 * A known path asked with another method gets 405 with `Allow`: Fastify routes by method
 * too, so such a request reaches Nest's not-found handler, and this turns its 404 into the
 * 405.
 */
@Catch()
@Injectable()
export class EmulatorExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(EmulatorExceptionFilter.name);
  /** Path to the methods it is served with. */
  private readonly allowed: ReadonlyMap<string, readonly string[]>;

  constructor(@Inject(EMULATOR_CONFIG) config: EmulatorConfig, @Inject(PoolStore) pool: PoolStore) {
    this.allowed = allowedMethods(pool.userPoolId, config.admin);
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    if (res.sent) return;
    const path = pathOf(req.url);
    const dialect = dialectOf(path);
    const allow = this.allowed.get(path);
    if (exception instanceof NotFoundException && allow && !allow.includes(req.method)) {
      exception = new MethodNotAllowedError(req.method, allow);
    }
    // The token quota (COGNITO_EMULATOR_TOKEN_RPS) on GetClientToken, in the API's terms.
    if (exception instanceof HttpException && exception.getStatus() === 429 && dialect === 'idp') {
      exception = new CognitoIdpError(
        'TooManyRequestsException',
        'Too many requests: the token quota is exceeded',
      );
    }

    if (exception instanceof OAuthError) {
      if (exception.code === 'invalid_token') {
        res.header(
          'WWW-Authenticate',
          `Bearer error="${exception.code}", error_description="${exception.description}"`,
        );
      }
      this.send(
        res,
        exception.status,
        { error: exception.code, error_description: exception.description },
        true,
      );
      return;
    }
    if (exception instanceof CognitoIdpError) {
      void res
        .status(exception.status)
        .type('application/x-amz-json-1.1')
        .send(JSON.stringify({ __type: exception.type, message: exception.message }));
      return;
    }
    if (exception instanceof MethodNotAllowedError) {
      res.header('Allow', exception.allow.join(', '));
      this.render(res, dialect, 405, exception.message);
      return;
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const status = exception.getStatus();
      // The token quota (COGNITO_EMULATOR_TOKEN_RPS); the guard has set Retry-After.
      if (status === 429 && dialect === 'oauth') {
        this.send(
          res,
          429,
          { error: 'too_many_requests', error_description: 'the token endpoint quota is exceeded' },
          true,
        );
        return;
      }

      const message =
        status === 413
          ? `request body larger than ${bodyLimitOf(path) / 1024} KiB`
          : status === 404
            ? exception.message
            : (HttpStatus[status]?.toLowerCase().replace(/_/g, ' ') ?? 'bad request');
      this.render(res, dialect, status, message);
      return;
    }
    this.logger.error(
      `unhandled error on ${req.method} ${path}`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    this.render(res, dialect, 500, 'internal error');
  }

  private render(res: Response, dialect: Dialect, status: number, message: string): void {
    if (dialect === 'oauth') {
      this.send(res, status, { error: 'invalid_request', error_description: message }, true);
    } else if (dialect === 'idp') {
      // 413: the AWS front end's own error (Cognito's model has none for it), as the SDK names it.
      const type =
        status >= 500
          ? 'InternalErrorException'
          : status === 413
            ? 'RequestEntityTooLargeException'
            : status === 400
              ? 'SerializationException'
              : 'InvalidParameterException';
      void res
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
      res.header('Cache-Control', 'no-store');
      res.header('Pragma', 'no-cache');
    }
    void res.status(status).send(body);
  }
}
