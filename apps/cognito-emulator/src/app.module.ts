import { type DynamicModule, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import {
  HealthModule,
  LoggingModule,
  type LoggingModuleOptions,
  MetricsModule,
} from '@nest-m2m-cognito/auth/observability';
import { AdminController } from './admin/admin.controller.js';
import type { EmulatorConfig } from './config/emulator-config.js';
import { ControlPlaneService } from './control-plane/control-plane.service.js';
import { IDP_OPERATIONS } from './emulator.tokens.js';
import { KeysAndPoolIndicator } from './health/keys-and-pool.indicator.js';
import { IdentityProviderController } from './idp/identity-provider.controller.js';
import { InitiateAuthService } from './idp/initiate-auth.service.js';
import { RefreshTokenStore } from './idp/refresh-tokens.js';
import { SignInLockout } from './idp/sign-in-lockout.js';
import { KeyStore } from './keys/key-store.js';
import { EmulatorMetrics } from './metrics/emulator-metrics.js';
import { RevocationService } from './oauth/revocation.service.js';
import { TokenQuotaGuard } from './oauth/token-quota.guard.js';
import { TokenController } from './oauth/token.controller.js';
import { TokenService } from './oauth/token.service.js';
import { UserEndpointsController } from './oauth/user-endpoints.controller.js';
import { UserInfoService } from './oauth/user-info.service.js';
import { PoolStore } from './pool/pool-store.js';
import type { StateFile } from './pool/state-file.js';
import { EmulatorRuntime } from './tokens/emulator-runtime.js';
import { TokenSigner } from './tokens/token-signer.js';
import { HostedUiController } from './well-known/hosted-ui.controller.js';
import { WellKnownController } from './well-known/well-known.controller.js';

/** Everything the emulator needs, loaded and validated before Nest starts. */
export interface EmulatorModuleInput {
  config: EmulatorConfig;
  pool: PoolStore;
  keys: KeyStore;
  runtime: EmulatorRuntime;
  /** Where control-plane changes are saved (COGNITO_EMULATOR_STATE_FILE), if anywhere. */
  state?: StateFile;
  /** How the emulator logs (from the environment, or a test's capture). */
  logging?: Omit<LoggingModuleOptions, 'service'>;
}

/** The loaded pool and keys, for the controllers and the readiness probe. */
@Module({})
class EmulatorStateModule {
  static forRoot(input: EmulatorModuleInput): DynamicModule {
    const providers = [
      { provide: PoolStore, useValue: input.pool },
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
    const { config, pool, keys, runtime } = input;
    const issuer = () => runtime.issuer;
    const refreshTokens = new RefreshTokenStore();
    const signer = new TokenSigner(keys);
    const initiateAuth = new InitiateAuthService(
      pool,
      signer,
      runtime,
      refreshTokens,
      new SignInLockout(),
    );
    const region = pool.userPoolId.slice(0, pool.userPoolId.indexOf('_'));
    const controlPlane = config.admin
      ? new ControlPlaneService(pool, input.state, region)
      : undefined;
    const operations = new Map<string, (body: unknown) => Promise<object>>([
      ['InitiateAuth', (body) => initiateAuth.initiateAuth(body)],
      ...(controlPlane?.operations ?? []),
    ]);
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
        IdentityProviderController,
      ],
      providers: [
        { provide: TokenService, useValue: new TokenService(pool, signer, runtime) },
        { provide: IDP_OPERATIONS, useValue: operations },
        {
          provide: RevocationService,
          useValue: new RevocationService(pool, refreshTokens, issuer),
        },
        {
          provide: UserInfoService,
          useValue: new UserInfoService(pool, keys, refreshTokens, issuer),
        },
        TokenQuotaGuard,
        EmulatorMetrics,
      ],
    };
  }
}
