import { type DynamicModule, Module } from '@nestjs/common';
import { MetricsModule, ResourceServerModule } from '@app/auth';
import type { WeatherApiConfig } from './config.js';
import { WeatherForecastController } from './weather/weather-forecast.controller.js';
import { WeatherForecastService } from './weather/weather-forecast.service.js';
import { WhoamiController } from './whoami.controller.js';

@Module({})
export class AppModule {
  /** The app for a validated configuration (never reads process.env). */
  static forRoot(config: WeatherApiConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        MetricsModule.forRoot({ defaultLabels: { service: 'weather-api' } }),
        ResourceServerModule.forRoot({ ...config.auth, realm: 'weather-api' }),
      ],
      controllers: [WeatherForecastController, WhoamiController],
      providers: [WeatherForecastService],
    };
  }
}
