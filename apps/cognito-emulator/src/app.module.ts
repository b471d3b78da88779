import { type DynamicModule, Module } from '@nestjs/common';
import { MetricsModule } from '@app/auth';
import { AdminController } from './admin/admin.controller.js';
import type { EmulatorConfig } from './config/emulator-config.js';
import { EMULATOR_CONFIG, POOL } from './emulator.tokens.js';
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
}

@Module({})
export class AppModule {
  /** Builds the emulator from values loaded by `startEmulator` (never from process.env). */
  static forRoot(input: EmulatorModuleInput): DynamicModule {
    return {
      module: AppModule,
      imports: [
        MetricsModule.forRoot({
          defaultLabels: { service: 'cognito-emulator' },
          collectDefaultMetrics: true,
        }),
      ],
      controllers: [
        TokenController,
        WellKnownController,
        ...(input.config.admin ? [AdminController] : []),
        // Last: it owns "/" for every method.
        InitiateAuthController,
      ],
      providers: [
        { provide: EMULATOR_CONFIG, useValue: input.config },
        { provide: POOL, useValue: input.pool },
        { provide: KeyStore, useValue: input.keys },
        { provide: EmulatorRuntime, useValue: input.runtime },
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
