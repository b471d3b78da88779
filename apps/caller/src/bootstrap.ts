import {
  listeningUrl,
  loggingOptionsFromEnv,
  useHttpMetrics,
  useSecurityHeaders,
  useStructuredLogger,
} from '@app/auth';
import {
  BadRequestException,
  type INestApplication,
  Logger,
  type LoggerService,
  ValidationPipe,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { DestinationStream } from 'pino';
import { AppModule, type CallerOverrides } from './app.module.js';
import { loadCallerConfig } from './config/caller-config.js';
import { CallerExceptionFilter } from './http/caller-exception.filter.js';

/** Largest accepted JSON body; larger ones get 413. */
export const BODY_LIMIT = '16kb';

/** A running caller. */
export interface StartedCaller {
  app: INestApplication;
  /** `http://host:port`, the actual listening address. */
  url: string;
  close(): Promise<void>;
}

/** Test hooks: the token clock, where log lines go, or a Nest logger instead of pino's. */
export interface StartCallerOptions extends Omit<CallerOverrides, 'logging'> {
  /** Where log lines go instead of standard output. */
  logDestination?: DestinationStream;
  /** Nest's logs (`new Logger(...)`, process-wide) go here instead of through pino. */
  logger?: LoggerService | false;
}

/** Body-parser failures (malformed JSON, too large, wrong charset) as JSON 4xx. */
function bodyErrors(error: unknown, _req: Request, res: Response, next: NextFunction) {
  const status = (error as { status?: unknown }).status;
  if (res.headersSent || typeof status !== 'number' || status < 400 || status >= 500) {
    next(error);
    return;
  }
  const error_description =
    status === 413 ? `request body larger than ${BODY_LIMIT}` : 'malformed request body';
  res
    .status(status)
    .json({ error: status === 413 ? 'payload_too_large' : 'invalid_request', error_description });
}

/**
 * Starts the caller from an environment object (tests start several apps in one process
 * with different envs). Fails fast, naming the bad variable.
 *
 * @example
 * ```ts
 * const caller = await startCaller({ PORT: '0', WEATHER_API_URL: api.url, OAUTH_TOKEN_URL: emulator.tokenUrl });
 * await fetch(`${caller.url}/forecast`);
 * await caller.close();
 * ```
 */
export async function startCaller(
  env: NodeJS.ProcessEnv = process.env,
  options: StartCallerOptions = {},
): Promise<StartedCaller> {
  const config = loadCallerConfig(env);
  const logging = loggingOptionsFromEnv(env, options.logDestination);
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, { clock: options.clock, logging }),
    { bodyParser: false, bufferLogs: true },
  );
  useStructuredLogger(app);
  if (options.logger !== undefined) app.useLogger(options.logger);
  useHttpMetrics(app);
  await useSecurityHeaders(app);
  app.useBodyParser('json', { limit: BODY_LIMIT });
  app.use(bodyErrors);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      exceptionFactory: (errors) =>
        new BadRequestException({
          error: 'invalid_request',
          error_description: 'invalid observation',
          fields: errors.map((e) => ({
            field: e.property,
            errors: Object.values(e.constraints ?? {}),
          })),
        }),
    }),
  );
  app.useGlobalFilters(new CallerExceptionFilter());
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  const url = listeningUrl(app, config.host);
  new Logger('Caller').log(
    `listening on ${url}; weather-api ${config.weatherApiUrl}; token endpoint ${config.tokenUrl}; clients ${config.read.clientId}, ${config.write.clientId}`,
  );
  return { app, url, close: () => app.close() };
}
