import { type DynamicModule, Module } from '@nestjs/common';
import {
  JwksReadinessIndicator,
  type LoggingModuleOptions,
  ObservabilityModule,
} from '@nest-m2m-cognito/auth/observability';
import { ResourceServerModule } from '@nest-m2m-cognito/auth/resource-server';
import { WeatherForecastController } from './weather/weather-forecast.controller.js';
import { WeatherForecastService } from './weather/weather-forecast.service.js';
import { TenantController } from './tenant.controller.js';
import { WhoamiController } from './whoami.controller.js';

/** What weather-api is built from: its environment, read and validated at start-up. */
export interface WeatherApiSettings {
  /** `LOG_LEVEL`, `NODE_ENV`. */
  env: NodeJS.ProcessEnv;
  /** From `resourceServerOptionsFromEnv` (the bench adds `globalGuards: false`). */
  auth: Parameters<typeof ResourceServerModule.forRoot>[0];
  /** Over the environment's (a test's capture). */
  logging?: Omit<LoggingModuleOptions, 'service'>;
}

@Module({})
export class AppModule {
  static forRoot({ env, auth, logging }: WeatherApiSettings): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({
          service: 'weather-api',
          env,
          logging,
          readiness: [JwksReadinessIndicator],
        }),
        ResourceServerModule.forRoot(auth),
      ],
      controllers: [WeatherForecastController, WhoamiController, TenantController],
      providers: [WeatherForecastService],
    };
  }
}
