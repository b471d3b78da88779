import { type DynamicModule, Module, type ModuleMetadata, type Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { READINESS_INDICATORS, type ReadinessIndicator } from './readiness-indicator.js';

/** Options of {@link HealthModule.forRoot}. */
export interface HealthModuleOptions {
  /** Indicator classes run by `GET /health/ready`; none means ready as soon as it serves. */
  readiness?: Type<ReadinessIndicator>[];
  /** Modules exporting what the indicators inject (global modules need not be listed). */
  imports?: ModuleMetadata['imports'];
}

/**
 * Probes for orchestrators, on `@nestjs/terminus`: `GET /health/live` (200 while the
 * process serves) and `GET /health/ready` (200 when every readiness indicator is up, 503
 * with the details otherwise). Both are `@Public()` and excluded from request logs.
 *
 * `ObservabilityModule` imports it; import it yourself only to compose logging, metrics and
 * health differently.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     ResourceServerModule.forRoot({ issuer }),
 *     HealthModule.forRoot({ readiness: [JwksReadinessIndicator] }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Module({})
export class HealthModule {
  static forRoot(options: HealthModuleOptions = {}): DynamicModule {
    const readiness = options.readiness ?? [];
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json' }), ...(options.imports ?? [])],
      controllers: [HealthController],
      providers: [
        ...readiness,
        {
          provide: READINESS_INDICATORS,
          useFactory: (...indicators: ReadinessIndicator[]) => indicators,
          inject: readiness,
        },
      ],
    };
  }
}
