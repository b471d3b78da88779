import type { CanActivate } from '@nestjs/common';
import { startService, type StartedService } from '@nest-m2m-cognito/auth/observability';
import { resourceServerOptionsFromEnv } from '@nest-m2m-cognito/auth/resource-server';
import { revocationOptionsFromEnv } from '@nest-m2m-cognito/auth/revocation';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module.js';
import { docsContentSecurityPolicy, docsTokenUrl, setupApiDocs } from './docs/openapi.js';

/** The embedded default: the local emulator's demo pool (see libs/fleet-auth/pool.json). */
export const DEV_EMULATOR_ISSUER = 'http://127.0.0.1:4000/us-east-1_Weather01';

/** A running weather-api. */
export type WeatherApiHandle = StartedService;

/** Test hooks. */
export interface StartWeatherApiOptions {
  /** Where log lines go instead of standard output (tests collect them). */
  logDestination?: DestinationStream;
  /**
   * `false` leaves the resource server's global guards out, every route then open; a guard
   * takes their place. Only for `bench/weather-api.mjs`'s twins (unguarded, and guarded by
   * aws-jwt-verify), which must differ from the service in nothing else.
   */
  globalGuards?: false | CanActivate;
}

/**
 * Builds, configures and starts weather-api from an environment object: `HOST`, `PORT`
 * (default 3000, `0` = ephemeral), the resource server's variables (`AUTH_ISSUER` or
 * `COGNITO_REGION` + `COGNITO_USER_POOL_ID`, `AUTH_CLIENT_IDS`, `AUTH_JWKS_*`: see
 * `resourceServerOptionsFromEnv`; with none, the local emulator's pool outside production),
 * the fleet's revocation list (`AUTH_REVOCATION_REDIS_URL` and the rest of
 * `revocationOptionsFromEnv`; unset, none),
 * `LOG_LEVEL`, `NODE_ENV`, and for the docs page at `/docs` `AUTH_TOKEN_URL` or
 * `COGNITO_DOMAIN`. Throws before listening when the configuration is invalid.
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
  const auth = {
    ...resourceServerOptionsFromEnv(env, { realm: 'weather-api', devIssuer: DEV_EMULATOR_ISSUER }),
    revocation: revocationOptionsFromEnv(env),
    ...(options.globalGuards !== undefined && { globalGuards: false }),
  };
  const guard = options.globalGuards || undefined;
  const tokenUrl = docsTokenUrl(env, [auth.issuer ?? []].flat()[0]);
  const logging = options.logDestination ? { destination: options.logDestination } : undefined;
  return startService(AppModule.forRoot({ env, auth, logging }), {
    env,
    securityHeaders: { contentSecurityPolicy: docsContentSecurityPolicy(tokenUrl) },
    configure: (app) => {
      if (guard) app.useGlobalGuards(guard);
      setupApiDocs(app, tokenUrl);
    },
  });
}
