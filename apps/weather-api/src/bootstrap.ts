import {
  listeningUrl,
  loggingOptionsFromEnv,
  useHttpMetrics,
  useSecurityHeaders,
  useStructuredLogger,
} from '@app/auth';
import { BadRequestException, type INestApplication, Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ValidationError } from 'class-validator';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module.js';
import { loadWeatherApiConfig } from './config.js';
import { BodyParserErrorFilter } from './body-parser-error.filter.js';
import { docsContentSecurityPolicy, docsTokenUrl, setupApiDocs } from './docs/openapi.js';

/** A running weather-api. */
export interface WeatherApiHandle {
  app: INestApplication;
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  url: string;
  close(): Promise<void>;
}

/** Test hooks. */
export interface StartWeatherApiOptions {
  /** Where log lines go instead of standard output (tests collect them). */
  logDestination?: DestinationStream;
}

function flatten(errors: ValidationError[], prefix = ''): { field: string; errors: string[] }[] {
  return errors.flatMap((e) => [
    ...(e.constraints
      ? [{ field: prefix + e.property, errors: Object.values(e.constraints) }]
      : []),
    ...flatten(e.children ?? [], `${prefix}${e.property}.`),
  ]);
}

/**
 * Builds, configures and starts weather-api from an environment object
 * (`HOST`, `PORT` (0 = ephemeral), `AUTH_ISSUER` or `COGNITO_REGION` +
 * `COGNITO_USER_POOL_ID`, `AUTH_JWKS_URI`, `AUTH_CLIENT_IDS`, `LOG_LEVEL`, `NODE_ENV`, and for
 * the docs page at `/docs` `AUTH_TOKEN_URL` or `COGNITO_DOMAIN`).
 * Throws before listening when the configuration is invalid.
 *
 * @example
 * ```ts
 * const api = await startWeatherApi({ PORT: '0', AUTH_ISSUER: emulator.issuer });
 * await fetch(`${api.url}/health/ready`);
 * await api.close();
 * ```
 */
export async function startWeatherApi(
  env: NodeJS.ProcessEnv = process.env,
  options: StartWeatherApiOptions = {},
): Promise<WeatherApiHandle> {
  const config = loadWeatherApiConfig(env);
  const tokenUrl = docsTokenUrl(env, config.auth.issuer);
  const logging = loggingOptionsFromEnv(env, options.logDestination);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logging), {
    bodyParser: false,
    bufferLogs: true,
  });
  useStructuredLogger(app);
  if (config.usesDevIssuer) {
    new Logger('WeatherApi').warn(
      `No AUTH_ISSUER / COGNITO_* set: trusting the local emulator (${config.auth.issuer}); dev only`,
    );
  }
  useHttpMetrics(app);
  await useSecurityHeaders(app, { contentSecurityPolicy: docsContentSecurityPolicy(tokenUrl) });
  app.useBodyParser('json', { limit: '16kb' });
  app.useGlobalFilters(new BodyParserErrorFilter(app.getHttpAdapter()));
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) =>
        new BadRequestException({
          error: 'invalid_request',
          error_description: 'the request body is invalid',
          fields: flatten(errors),
        }),
    }),
  );
  setupApiDocs(app, tokenUrl);
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  return { app, url: listeningUrl(app, config.host), close: () => app.close() };
}
