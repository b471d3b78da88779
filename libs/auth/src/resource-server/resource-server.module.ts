import {
  type DynamicModule,
  Inject,
  Logger,
  Module,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { KEY_SET_READINESS } from '../shared/readiness.js';
import { JwksKeyStore } from './jwks-key-store.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { JwtStrategy } from './jwt.strategy.js';
import {
  RESOLVED_RESOURCE_SERVER_OPTIONS,
  RESOURCE_SERVER_ASYNC_OPTIONS_TYPE,
  RESOURCE_SERVER_MODULE_OPTIONS,
  RESOURCE_SERVER_OPTIONS_TYPE,
  ResourceServerConfigurableModule,
} from './resource-server.module-definition.js';
import { ResourceServerMetrics } from './resource-server.metrics.js';
import {
  resolveResourceServerOptions,
  type ResolvedResourceServerOptions,
  type ResourceServerModuleOptions,
} from './resource-server.options.js';
import { RoutePolicies } from './route-policy.js';

/**
 * Makes an app a resource server for one token issuer (a Cognito user pool or
 * the local emulator): `JwtStrategy`, and `JwtAuthGuard` registered as a global
 * guard (deny by default, scopes per route; `globalGuards: false` to bind it yourself). Counters go to the app's prom-client `Registry` when
 * `MetricsModule` is imported. An issuer over plain HTTP (the local emulator) is accepted
 * with a warning at start-up.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     ResourceServerModule.forRoot({ region: 'eu-west-1', userPoolId: 'eu-west-1_AbC123',
 *       clientIds: ['weather-caller'], realm: 'weather-api' }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Module({
  providers: [
    {
      provide: RESOLVED_RESOURCE_SERVER_OPTIONS,
      inject: [RESOURCE_SERVER_MODULE_OPTIONS],
      useFactory: (options: ResourceServerModuleOptions) => resolveResourceServerOptions(options),
    },
    ResourceServerMetrics,
    {
      provide: JwksKeyStore,
      inject: [RESOLVED_RESOURCE_SERVER_OPTIONS, ResourceServerMetrics],
      useFactory: (options: ResolvedResourceServerOptions, metrics: ResourceServerMetrics) =>
        new JwksKeyStore(options, (outcome) => metrics.jwksFetch(outcome)),
    },
    { provide: KEY_SET_READINESS, useExisting: JwksKeyStore },
    RoutePolicies,
    JwtStrategy,
    JwtAuthGuard,
  ],
  exports: [JwtStrategy, JwtAuthGuard, JwksKeyStore, KEY_SET_READINESS],
})
export class ResourceServerModule extends ResourceServerConfigurableModule implements OnModuleInit {
  constructor(
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS)
    private readonly resolved: ResolvedResourceServerOptions,
  ) {
    super();
  }

  /** A plain-HTTP issuer (the local emulator) is for development: say so once, at start-up. */
  onModuleInit(): void {
    if (new URL(this.resolved.issuer).protocol === 'http:') {
      new Logger(ResourceServerModule.name).warn(
        `Trusting tokens of ${this.resolved.issuer}, an issuer over plain HTTP: development only`,
      );
    }
  }

  static override forRoot(options: typeof RESOURCE_SERVER_OPTIONS_TYPE): DynamicModule {
    return withGlobalGuards(super.forRoot(options), options.globalGuards ?? true);
  }

  static override forRootAsync(options: typeof RESOURCE_SERVER_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withGlobalGuards(super.forRootAsync(options), options.globalGuards ?? true);
  }
}

function withGlobalGuards(definition: DynamicModule, enabled: boolean): DynamicModule {
  if (!enabled) return definition;
  const guards: Provider[] = [{ provide: APP_GUARD, useExisting: JwtAuthGuard }];
  return { ...definition, providers: [...(definition.providers ?? []), ...guards] };
}
