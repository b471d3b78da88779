import {
  HealthModule,
  LoggingModule,
  type LoggingModuleOptions,
  M2MClientModule,
  MetricsModule,
  type TokenClock,
  TokenProviderReadinessIndicator,
} from '@app/auth';
import { type DynamicModule, Module } from '@nestjs/common';
import type { CallerConfig, CallerClientConfig } from './config/caller-config.js';
import { HealthController } from './health.controller.js';
import { READ_CLIENT, WRITE_CLIENT, WeatherClient } from './weather/weather.client.js';
import { WeatherController } from './weather/weather.controller.js';

/** What tests may replace: the token provider's clock, and where logs go. */
export interface CallerOverrides {
  clock?: TokenClock;
  logging?: Omit<LoggingModuleOptions, 'service'>;
}

@Module({})
export class AppModule {
  static forRoot(config: CallerConfig, overrides: CallerOverrides = {}): DynamicModule {
    const client = (name: string, c: CallerClientConfig) =>
      M2MClientModule.register({
        name,
        tokenUrl: config.tokenUrl,
        ...c,
        tokenTimeoutMs: config.tokenTimeoutMs,
        retry: config.retry,
        baseURL: config.weatherApiUrl,
        requestTimeoutMs: config.weatherApiTimeoutMs,
        clock: overrides.clock,
      });
    const clients = [client(READ_CLIENT, config.read), client(WRITE_CLIENT, config.write)];
    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot({ service: 'caller', ...overrides.logging }),
        MetricsModule.forRoot({ defaultLabels: { service: 'caller' } }),
        ...clients,
        HealthModule.forRoot({
          readiness: [TokenProviderReadinessIndicator(READ_CLIENT, WRITE_CLIENT)],
          imports: clients,
        }),
      ],
      controllers: [WeatherController, HealthController],
      providers: [WeatherClient],
    };
  }
}
