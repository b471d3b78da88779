import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { Logger, LoggerModule } from 'nestjs-pino';
import pino, { type DestinationStream, type LevelWithSilent } from 'pino';
import type { Options } from 'pino-http';
import { REDACT_PATHS, REDACTED, scrubbingDestination } from './redaction.js';
import { REQUEST_ID_HEADER, RequestIdContext, requestIdFrom } from './request-id.js';

/** Options of {@link LoggingModule.forRoot}. */
export interface LoggingModuleOptions {
  /** Bound as `service` on every line, e.g. `'weather-api'`. */
  service: string;
  /** Minimum level. Default `'info'`. */
  level?: LevelWithSilent;
  /** Human-readable lines (pino-pretty) instead of JSON; apps pass `env.NODE_ENV === 'development'`. */
  pretty?: boolean;
  /** Where lines go. Default standard output. Tests pass a collecting stream. */
  destination?: DestinationStream;
}

type Req = IncomingMessage & { originalUrl?: string };

/** Probes and scrapes are polled every few seconds; logging each would drown real traffic. */
function isQuietPath(req: Req): boolean {
  const path = (req.originalUrl ?? req.url ?? '').split('?')[0];
  return path === '/metrics' || path === '/health' || path.startsWith('/health/');
}

type Prettifier = (line: string) => string;

function loadPrettifier(): Prettifier | undefined {
  try {
    // pino-pretty is a development dependency: absent from production images, where
    // `pretty` is off anyway. Loaded in-process (no transport worker thread).
    const require = createRequire(import.meta.url);
    const { prettyFactory } = require('pino-pretty') as {
      prettyFactory: (options: object) => Prettifier;
    };
    return prettyFactory({
      translateTime: 'SYS:HH:MM:ss.l',
      singleLine: true,
      ignore: 'pid,hostname,service,context,req,res,responseTime',
      messageFormat:
        '{if context}[{context}] {end}{msg}' +
        '{if req} {req.method} {req.url} -> {res.statusCode} in {responseTime} ms{end}',
    });
  } catch {
    return undefined;
  }
}

function destinationFor(options: LoggingModuleOptions): DestinationStream {
  const out = options.destination ?? pino.destination({ dest: 1, sync: true });
  const prettify = options.pretty ? loadPrettifier() : undefined;
  const formatted: DestinationStream = prettify
    ? { write: (line: string) => void out.write(prettify(line)) }
    : out;
  return scrubbingDestination(formatted);
}

function pinoHttpOptions(options: LoggingModuleOptions): Options<Req, ServerResponse> {
  return {
    level: options.level ?? 'info',
    base: { service: options.service },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    // App lines carry only `reqId`; the one "request completed" line carries `req` and `res`.
    quietReqLogger: true,
    genReqId: (req, res) => {
      const id = requestIdFrom(req.headers);
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    autoLogging: { ignore: isQuietPath },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
  };
}

/**
 * Structured logs through nestjs-pino: JSON lines (or pino-pretty when `pretty`), a
 * `service` field and a request id (`reqId`) on every line, the id taken from a safe
 * incoming `x-request-id` or generated and echoed in the response header, one line per
 * request except `/health*` and `/metrics`. Credentials never reach the output:
 * `Authorization`/`Cookie` headers and `client_secret`/`access_token`/`password` fields
 * are redacted, and every line is scrubbed of token-shaped strings (JWTs, `Bearer x`,
 * `Basic x`). Also provides {@link RequestIdContext} to forward the id downstream.
 *
 * nestjs-pino keeps one root logger per process: when several apps share a process
 * (in-process tests), the first `forRoot` configures them all.
 *
 * @example
 * ```ts
 * @Module({})
 * export class AppModule {
 *   static forRoot(env: NodeJS.ProcessEnv): DynamicModule {
 *     return {
 *       module: AppModule,
 *       imports: [LoggingModule.forRoot({ service: 'weather-api', pretty: env.NODE_ENV === 'development' })],
 *     };
 *   }
 * }
 * // bootstrap: see useStructuredLogger
 * ```
 */
@Module({})
export class LoggingModule {
  static forRoot(options: LoggingModuleOptions): DynamicModule {
    return {
      module: LoggingModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: [pinoHttpOptions(options), destinationFor(options)],
        }),
      ],
      providers: [RequestIdContext],
      exports: [RequestIdContext],
    };
  }
}

/**
 * Routes Nest's own logs (`new Logger(Context.name)` everywhere) through the module's
 * pino logger. Create the app with `bufferLogs: true` so start-up lines wait for it
 * instead of going to the console logger; this call flushes them.
 *
 * @example
 * ```ts
 * const app = await NestFactory.create(AppModule.forRoot(env), { bufferLogs: true });
 * useStructuredLogger(app);
 * ```
 */
export function useStructuredLogger(app: INestApplication): void {
  app.useLogger(app.get(Logger));
}
