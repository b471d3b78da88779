import { type DynamicModule, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import {
  HealthModule,
  LoggingModule,
  type LoggingModuleOptions,
  MetricsModule,
} from '@nest-m2m-cognito/auth/observability';
import { AdminController } from './admin/admin.controller.js';
import { AwsJsonController } from './aws-json/aws-json.controller.js';
import { AWS_OPERATION_REGISTRY } from './aws-operations.js';
import { ClientSecrets } from './clients/client-secrets.js';
import type { EmulatorConfig } from './config/emulator-config.js';
import { ControlPlaneService } from './control-plane/control-plane.service.js';
import { AWS_OPERATIONS, EMULATOR_CONFIG } from './emulator.tokens.js';
import { KeysAndPoolIndicator } from './health/keys-and-pool.indicator.js';
import { EmulatorExceptionFilter } from './http/emulator-exception.filter.js';
import { GetClientTokenService } from './idp/get-client-token.service.js';
import { InitiateAuthService } from './idp/initiate-auth.service.js';
import { SignInLockout } from './idp/sign-in-lockout.js';
import { KeyStore } from './keys/key-store.js';
import { EmulatorMetrics } from './metrics/emulator-metrics.js';
import { ClientAuthenticator } from './oauth/client-authenticator.js';
import { RevocationService } from './oauth/revocation.service.js';
import { TokenQuotaGuard } from './tokens/token-quota.guard.js';
import { TokenController } from './oauth/token.controller.js';
import { TokenService } from './oauth/token.service.js';
import { UserEndpointsController } from './oauth/user-endpoints.controller.js';
import { UserInfoService } from './oauth/user-info.service.js';
import { PoolStore } from './pool/pool-store.js';
import { StateFile } from './pool/state-file.js';
import { RefreshTokenStore } from './refresh-tokens/refresh-token.store.js';
import { Clock } from './shared/clock.js';
import { ClientCredentialsTokens } from './tokens/client-credentials-tokens.js';
import { EmulatorRuntime } from './tokens/emulator-runtime.js';
import { TokenSigner } from './tokens/token-signer.js';
import { PreTokenGeneration, TriggerModules } from './triggers/pre-token-generation.service.js';
import { HostedUiController } from './well-known/hosted-ui.controller.js';
import { WellKnownController } from './well-known/well-known.controller.js';

/**
 * What `startEmulator` loads and checks before Nest starts, because loading it reads files
 * and must fail, naming the variable, before anything listens: the configuration, the pool
 * (the pool file with the state file's changes), the signing keys, the trigger modules the
 * pool file names, and the state file to save changes to. These are the emulator's only
 * values Nest does not construct.
 */
export interface EmulatorModuleInput {
  config: EmulatorConfig;
  pool: PoolStore;
  keys: KeyStore;
  triggers: TriggerModules;
  /** Where control-plane changes are saved (COGNITO_EMULATOR_STATE_FILE), if anywhere. */
  state?: StateFile;
  /** How the emulator logs (from the environment, or a test's capture). */
  logging?: Omit<LoggingModuleOptions, 'service'>;
}

/** The values loaded before Nest starts, for every module (the readiness probe's included). */
@Module({})
class EmulatorStateModule {
  static forRoot(input: EmulatorModuleInput): DynamicModule {
    const providers = [
      { provide: EMULATOR_CONFIG, useValue: input.config },
      { provide: PoolStore, useValue: input.pool },
      { provide: KeyStore, useValue: input.keys },
      { provide: TriggerModules, useValue: input.triggers },
      ...(input.state ? [{ provide: StateFile, useValue: input.state }] : []),
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
    const { config } = input;
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
        ThrottlerModule.forRoot({
          throttlers: [{ ttl: 1000, limit: config.tokenRps ?? Number.MAX_SAFE_INTEGER }],
          skipIf: () => config.tokenRps === undefined,
        }),
      ],
      controllers: [
        TokenController,
        UserEndpointsController,
        WellKnownController,
        HostedUiController,
        ...(config.admin ? [AdminController] : []),
        AwsJsonController,
      ],
      providers: [
        { provide: AWS_OPERATIONS, useValue: AWS_OPERATION_REGISTRY },
        Clock,
        EmulatorRuntime,
        TokenSigner,
        RefreshTokenStore,
        SignInLockout,
        ClientSecrets,
        ClientAuthenticator,
        PreTokenGeneration,
        ClientCredentialsTokens,
        InitiateAuthService,
        GetClientTokenService,
        ControlPlaneService,
        TokenService,
        RevocationService,
        UserInfoService,
        TokenQuotaGuard,
        EmulatorMetrics,
        EmulatorExceptionFilter,
      ],
    };
  }
}
