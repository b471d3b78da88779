import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { Logger, PinoLogger } from 'nestjs-pino';
import pino, { type DestinationStream, type LevelWithSilent } from 'pino';
import { type HttpLogger, type Options, pinoHttp } from 'pino-http';
import { REDACT_PATHS, REDACTED, scrubbingDestination } from './redaction.js';
import { REQUEST_ID_HEADER, RequestIdContext, requestIdFrom } from './request-id.js';
import { requestLogStorage } from './request-log-context.js';

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

const HTTP_LOGGER = Symbol('HTTP_LOGGER');

const LEVELS: readonly LevelWithSilent[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];
// Nest's level names, so a LOG_LEVEL written for Nest's console logger keeps working.
const NEST_LEVELS: Record<string, LevelWithSilent> = { log: 'info', verbose: 'trace' };

/**
 * The pino level for a `LOG_LEVEL`-style value (pino's names, or Nest's `log` / `verbose`);
 * `undefined` or empty gives `'info'`. Throws naming `name` when the value is unknown, so
 * an app fails at start-up instead of logging at a level nobody chose.
 *
 * @example
 * ```ts
 * LoggingModule.forRoot({ service: 'weather-api', level: parseLogLevel(env.LOG_LEVEL) });
 * ```
 */
export function parseLogLevel(value: string | undefined, name = 'LOG_LEVEL'): LevelWithSilent {
  const v = value?.trim().toLowerCase();
  if (!v) return 'info';
  const level = NEST_LEVELS[v] ?? LEVELS.find((l) => l === v);
  if (!level) {
    throw new TypeError(
      `${name} must be one of ${LEVELS.join(', ')} (or log, verbose); got "${value}"`,
    );
  }
  return level;
}

/**
 * nestjs-pino's `PinoLogger`, bound to one app: inside a request it writes through that
 * request's logger (which carries `reqId`), elsewhere through the app's own root logger,
 * not nestjs-pino's process-wide one.
 */
class AppPinoLogger extends PinoLogger {
  constructor(private readonly appRoot: pino.Logger) {
    super({ pinoHttp: { logger: appRoot } });
  }

  override get logger(): pino.Logger {
    return requestLogStorage.getStore()?.logger ?? this.appRoot;
  }
}

/**
 * Structured logs through nestjs-pino's `Logger`: JSON lines (or pino-pretty when
 * `pretty`), a `service` field and a request id (`reqId`) on every line, the id taken from
 * a safe incoming `x-request-id` or generated and echoed in the response header, one line
 * per request except `/health*` and `/metrics`. Credentials never reach the output:
 * `Authorization`/`Cookie` headers and `client_secret`/`access_token`/`password` fields
 * are redacted, and every line is scrubbed of token-shaped strings (JWTs, `Bearer x`,
 * `Basic x`). Also provides {@link RequestIdContext} to forward the id downstream.
 *
 * Each `forRoot` builds its own pino-http instance (nestjs-pino's `LoggerModule` keeps one
 * per process), so apps sharing a process keep their own `service`, level and destination
 * for every line of their requests. Nest's static logger stays process-wide: lines logged
 * outside any request go to the app that called {@link useStructuredLogger} last.
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
    const http = pinoHttp(pinoHttpOptions(options), destinationFor(options));
    return {
      module: LoggingModule,
      global: true,
      providers: [
        { provide: HTTP_LOGGER, useValue: http },
        { provide: PinoLogger, useFactory: () => new AppPinoLogger(http.logger) },
        {
          provide: Logger,
          useFactory: (pinoLogger: PinoLogger) => new Logger(pinoLogger, {}),
          inject: [PinoLogger],
        },
        RequestIdContext,
      ],
      exports: [PinoLogger, Logger, RequestIdContext, HTTP_LOGGER],
    };
  }
}

/**
 * Turns on the module's logging for `app`: one request-logging middleware first in line
 * (so body-parser errors are logged with their request id too), and Nest's own logs
 * (`new Logger(Context.name)` everywhere) through the module's pino logger. Call it right
 * after creating the app with `bufferLogs: true` (start-up lines wait for it; this call
 * flushes them) and before any body parser.
 *
 * @example
 * ```ts
 * const app = await NestFactory.create(AppModule.forRoot(env), { bufferLogs: true, bodyParser: false });
 * useStructuredLogger(app);
 * app.useBodyParser('json', { limit: '16kb' });
 * ```
 */
export function useStructuredLogger(app: INestApplication): void {
  const http = app.get<HttpLogger<Req, ServerResponse>>(HTTP_LOGGER);
  app.use((req: Req, res: ServerResponse, next: () => void) => {
    http(req, res);
    // genReqId above always returns a string.
    requestLogStorage.run({ logger: req.log, id: req.id as string }, next);
  });
  app.useLogger(app.get(Logger));
}
