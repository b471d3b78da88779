import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { HealthModule } from './health.module.js';
import {
  LoggingModule,
  type LoggingModuleOptions,
  loggingOptionsFromEnv,
} from './logging.module.js';
import type { MetricsModuleOptions } from './metrics.module-definition.js';
import { MetricsModule } from './metrics.module.js';
import type { ReadinessIndicator } from './readiness-indicator.js';

/** Options of {@link ObservabilityModule.forRoot}. */
export interface ObservabilityModuleOptions {
  /** The service's name: `service` on every log line and metric series. */
  service: string;
  /** Indicators of `GET /health/ready`, e.g. `JwksReadinessIndicator`. */
  readiness?: Type<ReadinessIndicator>[];
  /** Where `LOG_LEVEL` and `NODE_ENV` are read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Logging options over those of `env` (tests pass a `destination`). */
  logging?: Omit<LoggingModuleOptions, 'service'>;
  /** `collectDefaultMetrics` (default `true`); the `service` label is added. */
  metrics?: Omit<MetricsModuleOptions, 'defaultLabels'>;
}

/**
 * What every service of the fleet runs with, in one import: structured logs with request
 * ids ({@link LoggingModule}, from `LOG_LEVEL` and `NODE_ENV`), `GET /metrics`
 * ({@link MetricsModule}, labelled with the service) and `GET /health/live` +
 * `GET /health/ready` ({@link HealthModule}). Pair it with `startService` in `main.ts`.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     ObservabilityModule.forRoot({ service: 'inventory-api', readiness: [JwksReadinessIndicator] }),
 *     ResourceServerModule.forRoot(resourceServerOptionsFromEnv(process.env)),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityModuleOptions): DynamicModule {
    const { service } = options;
    return {
      module: ObservabilityModule,
      imports: [
        LoggingModule.forRoot({
          service,
          ...loggingOptionsFromEnv(options.env ?? process.env),
          ...options.logging,
        }),
        MetricsModule.forRoot({ ...options.metrics, defaultLabels: { service } }),
        HealthModule.forRoot({ readiness: options.readiness }),
      ],
    };
  }
}
