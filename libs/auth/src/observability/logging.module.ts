import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { Logger, PinoLogger } from 'nestjs-pino';
import pino, { type DestinationStream, type LevelWithSilent } from 'pino';
import { isProbePath } from './probe-paths.js';
import { REDACT_PATHS, REDACTED, scrubbingDestination } from './redaction.js';
import {
  REQUEST_ID_HEADER,
  type RequestContext,
  requestContext,
  requestIdFrom,
} from '../shared/request-context.js';
import { RequestIdContext } from './request-id.js';
import { TraceFlush } from './trace-flush.js';
import { traceLogFields } from './trace-log-fields.js';
import type { FastifyHooks } from './fastify-hooks.js';

/**
 * A request's context as the logging part keeps it: its id, and a logger with `reqId`
 * bound, built on first use (most requests log nothing but their closing line).
 */
class RequestLogStore implements RequestContext {
  private child?: pino.Logger;

  constructor(
    private readonly root: pino.Logger,
    readonly id: string,
  ) {}

  get logger(): pino.Logger {
    return (this.child ??= this.root.child({ reqId: this.id }));
  }
}

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

/** The request's path: its URL without the query string (which may carry credentials). */
function requestPath(req: Req): string {
  return (req.originalUrl ?? req.url ?? '').split('?', 1)[0];
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

/**
 * The app's loggers over one destination: `root` (every line but the request lines, with
 * pino's field redaction) and `requests` (the request lines: fields we chose, none secret,
 * so no redaction pass; gated by `root`'s level, so changing it governs both).
 */
interface AppLoggers {
  root: pino.Logger;
  requests: pino.Logger;
}

function appLoggers(options: LoggingModuleOptions): AppLoggers {
  const destination = destinationFor(options);
  const base = { service: options.service };
  return {
    root: pino(
      {
        level: options.level ?? 'info',
        base,
        redact: { paths: [...REDACT_PATHS], censor: REDACTED },
        mixin: traceLogFields,
      },
      destination,
    ),
    requests: pino({ level: 'trace', base, mixin: traceLogFields }, destination),
  };
}

/**
 * One line per request when it ends: method, path (never the query string, which may carry
 * credentials), remote address, status and duration. No headers: nothing to redact, and
 * serialising them was most of the cost of a request's log line. 5xx at error (`request
 * errored`), else info.
 */
function logRequestEnd(
  { root, requests }: AppLoggers,
  req: Req,
  path: string,
  res: ServerResponse,
  id: string,
  startedAt: number,
): void {
  const failed = res.statusCode >= 500;
  const level = failed ? 'error' : 'info';
  if (!root.isLevelEnabled(level)) return;
  requests[level](
    {
      reqId: id,
      req: {
        method: req.method,
        url: path,
        remoteAddress: req.socket?.remoteAddress,
      },
      res: { statusCode: res.statusCode },
      responseTime: Math.round(performance.now() - startedAt),
    },
    !res.writableFinished ? 'request aborted' : failed ? 'request errored' : 'request completed',
  );
}

const APP_LOGGERS = Symbol('APP_LOGGERS');

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
 * The {@link LoggingModuleOptions} an app takes from its environment: `level` from
 * `LOG_LEVEL` (see {@link parseLogLevel}), `pretty` when `NODE_ENV` is `development`, and
 * `destination` as given (tests pass a collecting stream). The app adds its `service`.
 *
 * @example
 * ```ts
 * LoggingModule.forRoot({ service: 'weather-api', ...loggingOptionsFromEnv(process.env) });
 * ```
 */
export function loggingOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  destination?: DestinationStream,
): Omit<LoggingModuleOptions, 'service'> {
  return {
    level: parseLogLevel(env.LOG_LEVEL),
    pretty: env.NODE_ENV === 'development',
    destination,
  };
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
    const store = requestContext.getStore();
    return store instanceof RequestLogStore ? store.logger : this.appRoot;
  }
}

/**
 * Structured logs through nestjs-pino's `Logger`: JSON lines (or pino-pretty when
 * `pretty`), a `service` field and a request id (`reqId`) on every line, the id taken from
 * a safe incoming `x-request-id` or generated and echoed in the response header, one line
 * per request except `/health*` and `/metrics` (`req.method`, `req.url` without the query
 * string, `req.remoteAddress`, `res.statusCode`, `responseTime` in ms; never headers);
 * with tracing on, `trace_id`, `span_id` and `trace_flags` of the active span on every line
 * logged inside one. Credentials never reach the output: `client_secret`/`access_token`/`password` fields and
 * `req.headers.authorization`/`cookie` are redacted, and every line is scrubbed of
 * token-shaped strings (JWTs, `Bearer x`, `Basic x`). Also provides
 * {@link RequestIdContext} to forward the id downstream, and flushes queued spans at
 * shutdown.
 *
 * Each `forRoot` builds its own root pino logger (nestjs-pino's `LoggerModule` keeps one
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
    const loggers = appLoggers(options);
    return {
      module: LoggingModule,
      global: true,
      providers: [
        { provide: APP_LOGGERS, useValue: loggers },
        { provide: PinoLogger, useFactory: () => new AppPinoLogger(loggers.root) },
        {
          provide: Logger,
          useFactory: (pinoLogger: PinoLogger) => new Logger(pinoLogger, {}),
          inject: [PinoLogger],
        },
        RequestIdContext,
        TraceFlush,
      ],
      exports: [PinoLogger, Logger, RequestIdContext, APP_LOGGERS],
    };
  }
}

/**
 * Turns on the module's logging for `app`: one request-logging middleware first in line
 * (so body-parser errors are logged with their request id too; `onRequest`/`preValidation`
 * hooks instead when the app runs on `@nestjs/platform-fastify`), and Nest's own logs
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
  const loggers = app.get<AppLoggers>(APP_LOGGERS);
  // Sets the id header, arms the request line, and returns the request's log context.
  const begin = (req: Req, res: ServerResponse): RequestLogStore => {
    const id = requestIdFrom(req.headers);
    res.setHeader(REQUEST_ID_HEADER, id);
    const path = requestPath(req);
    if (!isProbePath(path)) {
      const startedAt = performance.now();
      res.once('close', () => logRequestEnd(loggers, req, path, res, id, startedAt));
    }
    return new RequestLogStore(loggers.root, id);
  };
  const adapter = app.getHttpAdapter();
  if (adapter.getType() === 'fastify') {
    useOnFastify(adapter.getInstance() as FastifyHooks, begin);
  } else {
    app.use((req: Req, res: ServerResponse, next: () => void) => {
      requestContext.run(begin(req, res), next);
    });
  }
  app.useLogger(app.get(Logger));
}

/**
 * The same on Fastify, as hooks rather than middleware (no @fastify/middie pass per
 * request). The context is entered in `onRequest` and again in `preValidation`: Fastify
 * runs validation, the handler and the rest after the body's last `data` event, in the
 * socket's async context rather than the hook's, so the store would be lost there.
 */
function useOnFastify(
  fastify: FastifyHooks,
  begin: (req: Req, res: ServerResponse) => RequestLogStore,
): void {
  const stores = new WeakMap<Req, RequestLogStore>();
  fastify.addHook('onRequest', (request, reply, done) => {
    const store = begin(request.raw, reply.raw);
    stores.set(request.raw, store);
    requestContext.run(store, done);
  });
  fastify.addHook('preValidation', (request, _reply, done) => {
    const store = stores.get(request.raw);
    if (store) requestContext.run(store, done);
    else done();
  });
}
