import { type DynamicModule, Module } from '@nestjs/common';
import {
  HealthModule,
  JwksReadinessIndicator,
  LoggingModule,
  type LoggingModuleOptions,
  MetricsModule,
  ResourceServerModule,
} from '@app/auth';
import type { WeatherApiConfig } from './config.js';
import { WeatherForecastController } from './weather/weather-forecast.controller.js';
import { WeatherForecastService } from './weather/weather-forecast.service.js';
import { WhoamiController } from './whoami.controller.js';

/** How the app logs (from the environment, or a test's capture). */
export type WeatherApiLogging = Omit<LoggingModuleOptions, 'service'>;

@Module({})
export class AppModule {
  /** The app for a validated configuration (never reads process.env). */
  static forRoot(config: WeatherApiConfig, logging: WeatherApiLogging = {}): DynamicModule {
    const resourceServer = ResourceServerModule.forRoot({ ...config.auth, realm: 'weather-api' });
    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot({ service: 'weather-api', ...logging }),
        MetricsModule.forRoot({ defaultLabels: { service: 'weather-api' } }),
        resourceServer,
        HealthModule.forRoot({ readiness: [JwksReadinessIndicator], imports: [resourceServer] }),
      ],
      controllers: [WeatherForecastController, WhoamiController],
      providers: [WeatherForecastService],
    };
  }
}
