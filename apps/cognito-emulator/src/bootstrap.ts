import {
  httpUrl,
  loggingOptionsFromEnv,
  startService,
  type StartedService,
} from '@nest-m2m-cognito/auth/observability';
import { loadPool, type Pool, userPoolRegion } from '@app/fleet-auth';
import { Logger } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module.js';
import { configError, loadEmulatorConfig } from './config/emulator-config.js';
import { BODY_LIMIT_BYTES, bodyLimitOf } from './http/body-limits.js';
import { EmulatorExceptionFilter } from './http/emulator-exception.filter.js';
import { closeInStages } from './http/staged-close.js';
import { parseCorsOrigins, tokenEndpointCors } from './http/token-cors.js';
import { KeyStore } from './keys/key-store.js';
import { PoolStore } from './pool/pool-store.js';
import { StateFile } from './pool/state-file.js';
import { serverHttpsOptions } from './tls/https-options.js';
import { EmulatorRuntime } from './tokens/emulator-runtime.js';
import { awsIssuerHostOf } from './tokens/issuer-forms.js';
import { TriggerModules } from './triggers/pre-token-generation.service.js';
import { loadPreTokenTrigger } from './triggers/pre-token-trigger.js';

/** A running emulator. */
export interface StartedEmulator extends StartedService {
  /** `{ISSUER_BASE or url}/{userPoolId}` — the `iss` of every token. */
  issuer: string;
  /** `{ISSUER_BASE or url}/oauth2/token`. */
  tokenUrl: string;
}

/** What the environment does not say. */
export interface StartEmulatorOptions {
  /** Where log lines go instead of standard output (tests collect them). */
  logDestination?: DestinationStream;
  /**
   * A validated pool (`loadPool`, `parsePool`) to serve instead of reading
   * `COGNITO_EMULATOR_POOL_FILE` (the package's `startCognitoEmulator` takes a pool object),
   * and the file the trigger module it names is relative to.
   */
  pool?: { pool: Pool; file: string };
}

/**
 * Starts the Cognito emulator from an environment object (tests start several
 * in one process with different envs). Fails fast, naming the bad variable or
 * pool-file field.
 *
 * @example
 * ```ts
 * const emulator = await startEmulator({ PORT: '0' });
 * // POST `${emulator.tokenUrl}`, verify against `${emulator.issuer}/.well-known/jwks.json`
 * await emulator.close();
 * ```
 */
export async function startEmulator(
  env: NodeJS.ProcessEnv = process.env,
  options: StartEmulatorOptions = {},
): Promise<StartedEmulator> {
  const logger = new Logger('CognitoEmulator');
  const config = loadEmulatorConfig(env);
  const corsOrigins = parseCorsOrigins(env.COGNITO_EMULATOR_CORS_ORIGINS);
  const logging = loggingOptionsFromEnv(env, options.logDestination);
  const poolFile = options.pool?.file ?? config.poolFile;
  const file =
    options.pool?.pool ?? (await loadPool(config.poolFile, 'COGNITO_EMULATOR_POOL_FILE'));
  const imitated = config.issuerBase && awsIssuerHostOf(new URL(config.issuerBase).hostname);
  const poolRegion = userPoolRegion(file.userPoolId);
  if (imitated && imitated.region !== poolRegion) {
    throw configError(
      'COGNITO_EMULATOR_ISSUER_BASE',
      `names Cognito's issuer host in ${imitated.region}, but user pool ${file.userPoolId} is in ${poolRegion}`,
    );
  }
  const triggers = new TriggerModules(await loadPreTokenTrigger(poolFile, file));
  const state = config.stateFile ? new StateFile(config.stateFile) : undefined;
  const pool = new PoolStore(file, await state?.load(file.userPoolId));
  const keys = await KeyStore.open({
    file: config.keysFile,
    // With the control plane a client may be given up to Cognito's longest lifetime later.
    retentionSeconds: config.admin ? 86_400 : pool.maxTokenValiditySeconds(),
  });
  const https = await serverHttpsOptions(config);

  // Fastify takes its TLS options at construction (startService's httpsOptions is Express's).
  const adapter = new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES, ...(https && { https }) });
  const started = await startService(
    AppModule.forRoot({ config, pool, keys, triggers, state, logging }),
    {
      env,
      defaultPort: 4000,
      adapter,
      // No HSTS: a browser that saw it from https://localhost:4000 would refuse plain HTTP to
      // every localhost port (the docs page on :3000 included) for a year; a dev tool's call.
      securityHeaders: { strictTransportSecurity: false },
      configure: (app) => {
        const fastify = adapter.getInstance();
        // Routes are registered when the app initialises, after this hook is in place.
        fastify.addHook('onRoute', (route) => {
          route.bodyLimit = bodyLimitOf(route.url);
        });
        fastify.addHook('onRequest', tokenEndpointCors(corsOrigins));
        fastify.addHook('onSend', closeInStages());
        // Every body as raw bytes, whatever its type: the controllers check the media type and
        // parse it themselves (a repeated form parameter must stay visible: invalid_request).
        fastify.removeAllContentTypeParsers();
        fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) =>
          done(null, body),
        );
        app.useGlobalFilters(app.get(EmulatorExceptionFilter));
        // Known up front unless PORT=0, so no request can ever see an empty issuer.
        if (config.issuerBase || config.port !== 0) {
          app
            .get(EmulatorRuntime)
            .setBase(config.issuerBase ?? httpUrl(config.host, config.port, !!https));
        }
      },
    },
  );
  const url = started.url;
  const runtime = started.app.get(EmulatorRuntime);
  runtime.setBase(config.issuerBase ?? url);
  logger.log(
    `user pool ${pool.userPoolId} on ${url}; issuer ${runtime.issuer}; token endpoint ${runtime.tokenUrl}`,
  );
  if (config.admin) {
    logger.warn(
      'admin endpoints enabled: POST /_emulator/rotate-keys and the control plane on POST / (SigV4 signatures are not verified)',
    );
  }
  return { ...started, issuer: runtime.issuer, tokenUrl: runtime.tokenUrl };
}
