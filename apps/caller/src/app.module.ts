import { M2MClientModule, type TokenClock } from '@nest-m2m-cognito/auth/client';
import { redisTokenCacheFromEnv } from '@nest-m2m-cognito/auth/redis';
import {
  type LoggingModuleOptions,
  ObservabilityModule,
  TokenProviderReadinessIndicator,
} from '@nest-m2m-cognito/auth/observability';
import { type DynamicModule, Module } from '@nestjs/common';
import { callerClients } from './config/caller-config.js';
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
  /** The caller for an environment (read and validated here, at start-up). */
  static forRoot(env: NodeJS.ProcessEnv, overrides: CallerOverrides = {}): DynamicModule {
    // TOKEN_CACHE_REDIS_URL set: one token per client for every replica (else per process).
    const cache = redisTokenCacheFromEnv(env);
    const clients = callerClients(env).map((client) =>
      M2MClientModule.register({ ...client, cache, clock: overrides.clock }),
    );
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({
          service: 'caller',
          env,
          logging: overrides.logging,
          readiness: [TokenProviderReadinessIndicator(READ_CLIENT, WRITE_CLIENT)],
        }),
        ...clients,
      ],
      controllers: [WeatherController, HealthController],
      providers: [WeatherClient],
    };
  }
}
