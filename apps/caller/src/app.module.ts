import { M2MClientModule, MetricsModule, type TokenClock } from '@app/auth';
import { type DynamicModule, Module } from '@nestjs/common';
import type { CallerConfig, CallerClientConfig } from './config/caller-config.js';
import { HealthController } from './health.controller.js';
import { READ_CLIENT, WRITE_CLIENT, WeatherClient } from './weather/weather.client.js';
import { WeatherController } from './weather/weather.controller.js';

/** What tests may replace: the token provider's clock. */
export interface CallerOverrides {
  clock?: TokenClock;
}

@Module({})
export class AppModule {
  static forRoot(config: CallerConfig, overrides: CallerOverrides = {}): DynamicModule {
    const client = (name: string, c: CallerClientConfig) =>
      M2MClientModule.register({
        name,
        tokenUrl: config.tokenUrl,
        clientId: c.clientId,
        clientSecret: c.clientSecret,
        scopes: c.scopes,
        authMethod: c.authMethod,
        tokenTimeoutMs: config.tokenTimeoutMs,
        retry: config.retry,
        baseURL: config.weatherApiUrl,
        requestTimeoutMs: config.weatherApiTimeoutMs,
        clock: overrides.clock,
      });
    return {
      module: AppModule,
      imports: [
        MetricsModule.forRoot({ defaultLabels: { service: 'caller' } }),
        client(READ_CLIENT, config.read),
        client(WRITE_CLIENT, config.write),
      ],
      controllers: [WeatherController, HealthController],
      providers: [WeatherClient],
    };
  }
}
