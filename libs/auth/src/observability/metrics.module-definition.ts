import { ConfigurableModuleBuilder } from '@nestjs/common';

export interface MetricsModuleOptions {
  /** Labels added to every series, e.g. `{ service: 'weather-api' }`. */
  defaultLabels?: Record<string, string>;
  /** Collect Node.js process metrics (heap, event loop lag, ...). Default `true`. */
  collectDefaultMetrics?: boolean;
}

export const {
  ConfigurableModuleClass: MetricsConfigurableModule,
  MODULE_OPTIONS_TOKEN: METRICS_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<MetricsModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
