import { type DynamicModule, Module } from '@nestjs/common';
import {
  HealthModule,
  LoggingModule,
  type LoggingModuleOptions,
  MetricsModule,
} from '@nest-m2m-cognito/auth/observability';
import { AdminController } from './admin/admin.controller.js';
import type { EmulatorConfig } from './config/emulator-config.js';
import { POOL } from './emulator.tokens.js';
import { KeysAndPoolIndicator } from './health/keys-and-pool.indicator.js';
import { InitiateAuthController } from './idp/initiate-auth.controller.js';
import { InitiateAuthService } from './idp/initiate-auth.service.js';
import { KeyStore } from './keys/key-store.js';
import { EmulatorMetrics } from './metrics/emulator-metrics.js';
import { TokenController } from './oauth/token.controller.js';
import { TokenService } from './oauth/token.service.js';
import type { Pool } from './pool/pool.schema.js';
import { EmulatorRuntime } from './tokens/emulator-runtime.js';
import { TokenSigner } from './tokens/token-signer.js';
import { WellKnownController } from './well-known/well-known.controller.js';

/** Everything the emulator needs, loaded and validated before Nest starts. */
export interface EmulatorModuleInput {
  config: EmulatorConfig;
  pool: Pool;
  keys: KeyStore;
  runtime: EmulatorRuntime;
  /** How the emulator logs (from the environment, or a test's capture). */
  logging?: Omit<LoggingModuleOptions, 'service'>;
}

/** The loaded pool and keys, for the controllers and the readiness probe. */
@Module({})
class EmulatorStateModule {
  static forRoot(input: EmulatorModuleInput): DynamicModule {
    const providers = [
      { provide: POOL, useValue: input.pool },
      { provide: KeyStore, useValue: input.keys },
      { provide: EmulatorRuntime, useValue: input.runtime },
    ];
    return {
      module: EmulatorStateModule,
      global: true,
      providers,
      exports: providers.map((p) => p.provide),
    };
  }
}

@Module({})
export class AppModule {
  /** Builds the emulator from values loaded by `startEmulator` (never from process.env). */
  static forRoot(input: EmulatorModuleInput): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot({ service: 'cognito-emulator', ...input.logging }),
        MetricsModule.forRoot({
          defaultLabels: { service: 'cognito-emulator' },
          collectDefaultMetrics: true,
        }),
        EmulatorStateModule.forRoot(input),
        HealthModule.forRoot({ readiness: [KeysAndPoolIndicator] }),
      ],
      controllers: [
        TokenController,
        WellKnownController,
        ...(input.config.admin ? [AdminController] : []),
        InitiateAuthController,
      ],
      providers: [
        { provide: TokenSigner, useFactory: () => new TokenSigner(input.keys) },
        {
          provide: TokenService,
          useFactory: (signer: TokenSigner) => new TokenService(input.pool, signer, input.runtime),
          inject: [TokenSigner],
        },
        {
          provide: InitiateAuthService,
          useFactory: (signer: TokenSigner) =>
            new InitiateAuthService(input.pool, signer, input.runtime),
          inject: [TokenSigner],
        },
        EmulatorMetrics,
      ],
    };
  }
}
