import type { Server } from 'node:http';
import {
  type ArgumentsHost,
  BadRequestException,
  Catch,
  type DynamicModule,
  HttpException,
  type INestApplication,
  Logger,
  type LoggerService,
  type LogLevel,
  type NestApplicationOptions,
  type Type,
  ValidationPipe,
} from '@nestjs/common';
import { type AbstractHttpAdapter, BaseExceptionFilter, NestFactory } from '@nestjs/core';
import type { ValidationError } from 'class-validator';
import type { HelmetOptions } from 'helmet';
import { EnvReader } from '../shared/env.js';
import { LibraryError } from '../shared/errors.js';
import { listeningUrl } from './listening-url.js';
import { useHttpMetrics } from './http-metrics.js';
import { useStructuredLogger } from './logging.module.js';
import { applyServerTimeouts, serverTimeoutsFromEnv } from './server-timeouts.js';
import { useSecurityHeaders } from './security-headers.js';

/** Options of {@link startService}. */
export interface StartServiceOptions {
  /** Where `HOST` (default `127.0.0.1`) and `PORT` (`0` = ephemeral) are read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The port when `PORT` is unset. Default 3000. */
  defaultPort?: number;
  /** The HTTP adapter, e.g. `new FastifyAdapter({ bodyLimit })`. Default: Express. */
  adapter?: AbstractHttpAdapter;
  /** Serve HTTPS with these (key, cert, ...), on Express. A Fastify adapter takes them at construction: `new FastifyAdapter({ https })`. */
  httpsOptions?: NestApplicationOptions['httpsOptions'];
  /** Largest JSON body on Express (larger: 413). Default `'16kb'`. On Fastify: the adapter's `bodyLimit`. */
  bodyLimit?: string;
  /** The app's own setup, after the library's and before listening (docs, filters, hooks). */
  configure?: (app: INestApplication) => void | Promise<void>;
  /** Nest's own logs go here instead of through the structured logger (tests). */
  logger?: LoggerService | LogLevel[];
  /**
   * helmet's options, merged over the defaults (a JSON API's content security policy,
   * `API_CONTENT_SECURITY_POLICY`): a service serving a page passes its own policy.
   */
  securityHeaders?: HelmetOptions;
  /**
   * Nest's application options, passed to `NestFactory.create` as they are: what `nest new`'s
   * main.ts passes (`{ instrument }`), `cors`, `rawBody`, `abortOnError`, ... Those
   * `startService` sets itself are refused (`invalid_options`): `bodyParser` and `bufferLogs`
   * (the structured logger and the body limit depend on them), `httpsOptions` and `logger`
   * (options of their own).
   */
  appOptions?: Omit<NestApplicationOptions, OwnAppOption>;
}

/** The application options startService decides, each for a reason above. */
const OWN_APP_OPTIONS = ['bodyParser', 'bufferLogs', 'httpsOptions', 'logger'] as const;
type OwnAppOption = (typeof OWN_APP_OPTIONS)[number];

/** `useBodyParser` of Nest's Express application. */
interface BodyParsing {
  useBodyParser(type: 'json', options: { limit: string }): unknown;
}

/** A running service. */
export interface StartedService {
  app: INestApplication;
  /** Where it listens, e.g. `http://127.0.0.1:54321`. */
  url: string;
  close(): Promise<void>;
}

/**
 * `startService` was given a module it cannot start (`invalid_app_module`: one without the
 * logging module) or options it cannot honour (`invalid_options`). Thrown before the app
 * listens.
 */
export class StartServiceError extends LibraryError {
  constructor(
    readonly code: 'invalid_app_module' | 'invalid_options',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** body-parser's (`type`) and Fastify's (`code`) request-body errors. */
interface BodyError {
  type?: unknown;
  code?: unknown;
}

function bodyErrorOf(exception: HttpException): BodyError | undefined {
  const cause = exception.cause as BodyError | undefined;
  if (typeof cause !== 'object' || cause === null) return undefined;
  const isBodyParser = typeof cause.type === 'string' || cause instanceof SyntaxError;
  const isFastify = typeof cause.code === 'string' && cause.code.startsWith('FST_ERR_CTP_');
  return isBodyParser || isFastify ? cause : undefined;
}

/**
 * Request bodies that cannot be read, answered as JSON 4xx naming why (`invalid_request`,
 * 413 `payload_too_large`, 415 `unsupported_media_type`); every other `HttpException` as
 * Nest answers it.
 */
@Catch(HttpException)
class RequestBodyErrorFilter extends BaseExceptionFilter {
  override catch(exception: HttpException, host: ArgumentsHost): void {
    const cause = bodyErrorOf(exception);
    const status = exception.getStatus();
    if (!cause || status >= 500) {
      super.catch(exception, host);
      return;
    }
    const error =
      status === 413
        ? 'payload_too_large'
        : status === 415
          ? 'unsupported_media_type'
          : 'invalid_request';
    const description =
      status === 413
        ? 'the request body is too large'
        : cause.type === 'entity.parse.failed' || cause instanceof SyntaxError
          ? 'the request body is not valid JSON'
          : 'the request body could not be read';
    const res: unknown = host.switchToHttp().getResponse();
    this.applicationRef?.reply(res, { error, error_description: description }, status);
  }
}

/** class-validator's errors as `{ field, errors }`, nested fields dotted. */
function fieldErrors(
  errors: ValidationError[],
  prefix = '',
): { field: string; errors: string[] }[] {
  return errors.flatMap((e) => [
    ...(e.constraints
      ? [{ field: prefix + e.property, errors: Object.values(e.constraints) }]
      : []),
    ...fieldErrors(e.children ?? [], `${prefix}${e.property}.`),
  ]);
}

/**
 * Creates, sets up and starts a service the one way every service of the fleet starts:
 * structured logs and request ids (`useStructuredLogger`: the module must import
 * `ObservabilityModule` or `LoggingModule`), a JSON body limit, unreadable bodies and
 * invalid DTOs answered as 400/413/415 JSON (`{ error, error_description, fields? }`, DTOs
 * validated with `whitelist`, `forbidNonWhitelisted` and `transform`), inbound HTTP
 * metrics (`useHttpMetrics`), security headers (`useSecurityHeaders`, helmet) and no
 * `X-Powered-By`, clients that send their request too slowly closed
 * (`HTTP_HEADERS_TIMEOUT_MS` 5000, `HTTP_REQUEST_TIMEOUT_MS` 10000, each within a second
 * more; `HTTP_KEEP_ALIVE_TIMEOUT_MS` 5000 for idle connections), shutdown hooks (which also
 * flush queued spans), then `listen` on `HOST`/`PORT` and one line saying where.
 *
 * @example
 * ```ts
 * // main.ts
 * await startService(AppModule);
 * // over HTTPS: on Express, httpsOptions; on Fastify, the adapter's own https option
 * await startService(AppModule, { httpsOptions: { key, cert } });
 * await startService(AppModule, { adapter: new FastifyAdapter({ bodyLimit: 16_384, https: { key, cert } }) });
 * // Nest's own application options, e.g. what `nest new` sets up
 * await startService(AppModule, { appOptions: { instrument: ObserveInstrument } });
 * ```
 */
export async function startService(
  module: Type | DynamicModule,
  options: StartServiceOptions = {},
): Promise<StartedService> {
  const env: EnvReader = new EnvReader(options.env ?? process.env);
  const host = env.text('HOST') ?? '127.0.0.1';
  const port = env.int('PORT', 0, 65_535) ?? options.defaultPort ?? 3000;
  const timeouts = serverTimeoutsFromEnv(env);
  const express = (options.adapter?.getType() ?? 'express') === 'express';
  if (options.httpsOptions && !express) {
    // Fastify creates its server with the adapter: Nest would ignore them and serve plain HTTP.
    throw new StartServiceError(
      'invalid_options',
      'startService: httpsOptions apply to Express; give a Fastify adapter its https options: new FastifyAdapter({ https })',
    );
  }
  const own = OWN_APP_OPTIONS.filter((name) => options.appOptions && name in options.appOptions);
  if (own.length > 0) {
    throw new StartServiceError(
      'invalid_options',
      `startService: appOptions cannot set ${own.join(', ')}; startService sets ${own.length > 1 ? 'them' : 'it'} (use its own options: httpsOptions, logger, bodyLimit)`,
    );
  }
  const appOptions: NestApplicationOptions = {
    ...options.appOptions,
    bufferLogs: true,
    // Express: JSON only, parsed below, after the request-logging middleware. Fastify: its
    // own JSON parser, limited by the adapter's bodyLimit.
    bodyParser: false,
    ...(options.httpsOptions && { httpsOptions: options.httpsOptions }),
  };
  const app = options.adapter
    ? await NestFactory.create(module, options.adapter, appOptions)
    : await NestFactory.create(module, appOptions);
  try {
    useStructuredLogger(app);
  } catch (cause) {
    await app.close();
    throw new StartServiceError(
      'invalid_app_module',
      'startService: the app module must import ObservabilityModule (or LoggingModule)',
      { cause },
    );
  }
  if (options.logger) app.useLogger(options.logger);
  applyServerTimeouts(app.getHttpServer() as Server, timeouts);
  // Before the body parser: its 400/413 answers are counted and carry the headers too.
  useHttpMetrics(app);
  useSecurityHeaders(app, options.securityHeaders);
  const adapter = app.getHttpAdapter();
  if (express) {
    (adapter.getInstance() as { disable(setting: string): void }).disable('x-powered-by');
    (app as INestApplication & BodyParsing).useBodyParser('json', {
      limit: options.bodyLimit ?? '16kb',
    });
  }
  app.useGlobalFilters(new RequestBodyErrorFilter(adapter));
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) =>
        new BadRequestException({
          error: 'invalid_request',
          error_description: 'the request body is invalid',
          fields: fieldErrors(errors),
        }),
    }),
  );
  app.enableShutdownHooks();
  await options.configure?.(app);
  await app.listen(port, host);
  const url = listeningUrl(app, host);
  new Logger('Service').log(`listening on ${url}`);
  return { app, url, close: () => app.close() };
}
