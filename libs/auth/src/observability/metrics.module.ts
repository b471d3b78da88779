import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { MetricsController } from './metrics.controller.js';
import {
  METRICS_MODULE_OPTIONS,
  MetricsConfigurableModule,
  type MetricsModuleOptions,
} from './metrics.module-definition.js';

/**
 * One prom-client `Registry` per application (never the global one, so several
 * Nest apps can share a process, as tests do) and `GET /metrics` to scrape it.
 * Library parts (`ResourceServerModule`, `M2MClientModule`) register their
 * series on the injected `Registry`.
 *
 * @example
 * ```ts
 * @Module({ imports: [MetricsModule.forRoot({ defaultLabels: { service: 'weather-api' } })] })
 * export class AppModule {}
 * ```
 */
@Module({
  controllers: [MetricsController],
  providers: [{ provide: Registry, useFactory: () => new Registry() }],
  exports: [Registry],
})
export class MetricsModule extends MetricsConfigurableModule implements OnModuleInit {
  constructor(
    private readonly registry: Registry,
    @Inject(METRICS_MODULE_OPTIONS) private readonly options: MetricsModuleOptions,
  ) {
    super();
  }

  onModuleInit(): void {
    if (this.options.defaultLabels) this.registry.setDefaultLabels(this.options.defaultLabels);
    if (this.options.collectDefaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry });
  }
}
