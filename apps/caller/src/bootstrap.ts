import { startService, type StartedService } from '@nest-m2m-cognito/auth/observability';
import type { LoggerService } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { AppModule, type CallerOverrides } from './app.module.js';

/** A running caller. */
export type StartedCaller = StartedService;

/** Test hooks: the token clock, where log lines go, or a Nest logger instead of pino's. */
export interface StartCallerOptions extends Omit<CallerOverrides, 'logging'> {
  /** Where log lines go instead of standard output. */
  logDestination?: DestinationStream;
  /** Nest's logs (`new Logger(...)`, process-wide) go here instead of through pino. */
  logger?: LoggerService;
}

/**
 * Starts the caller from an environment object (tests start several apps in one process
 * with different envs): `HOST`, `PORT` (default 3001), its clients' variables (see
 * `callerClients`), `LOG_LEVEL`, `NODE_ENV`. Fails fast, naming the bad variable.
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
  const logging = options.logDestination ? { destination: options.logDestination } : undefined;
  return startService(AppModule.forRoot(env, { clock: options.clock, logging }), {
    env,
    defaultPort: 3001,
    logger: options.logger,
  });
}
