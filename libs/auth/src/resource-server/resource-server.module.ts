import {
  type DynamicModule,
  Inject,
  Logger,
  Module,
  type OnModuleDestroy,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { RevocationList, type RevocationStatus } from '../revocation/revocation-list.js';
import { RESOURCE_SERVER_READINESS, type ResourceServerReadiness } from '../shared/readiness.js';
import { IssuerKeySets } from './issuer-key-sets.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { JwtStrategy } from './jwt.strategy.js';
import {
  RESOLVED_RESOURCE_SERVER_OPTIONS,
  RESOURCE_SERVER_ASYNC_OPTIONS_TYPE,
  RESOURCE_SERVER_MODULE_OPTIONS,
  RESOURCE_SERVER_OPTIONS_TYPE,
  ResourceServerConfigurableModule,
  REVOCATION_LIST,
} from './resource-server.module-definition.js';
import { ResourceServerMetrics } from './resource-server.metrics.js';
import {
  resolveResourceServerOptions,
  type ResolvedResourceServerOptions,
  type ResourceServerModuleOptions,
} from './resource-server.options.js';
import { RoutePolicyError } from './resource-server.errors.js';
import { RoutePolicies, RoutePolicyAudit } from './route-policy.js';

/**
 * Makes an app a resource server for one token issuer (a Cognito user pool or
 * the local emulator): `JwtStrategy`, and `JwtAuthGuard` registered as a global
 * guard (deny by default, scopes per route; `globalGuards: false` to bind it yourself). Counters go to the app's prom-client `Registry` when
 * `MetricsModule` is imported. Every route of the app must declare `@Scopes(...)`,
 * `@AnyValidToken()` or `@Public()`: start-up fails naming those that do not. An issuer over plain HTTP (the local emulator) is accepted
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
  imports: [DiscoveryModule],
  providers: [
    {
      provide: RESOLVED_RESOURCE_SERVER_OPTIONS,
      inject: [RESOURCE_SERVER_MODULE_OPTIONS],
      useFactory: (options: ResourceServerModuleOptions) => resolveResourceServerOptions(options),
    },
    ResourceServerMetrics,
    {
      provide: IssuerKeySets,
      inject: [RESOLVED_RESOURCE_SERVER_OPTIONS, ResourceServerMetrics],
      useFactory: (options: ResolvedResourceServerOptions, metrics: ResourceServerMetrics) =>
        new IssuerKeySets(options, (outcome) => metrics.jwksFetch(outcome)),
    },
    {
      provide: REVOCATION_LIST,
      inject: [RESOLVED_RESOURCE_SERVER_OPTIONS, ResourceServerMetrics],
      useFactory: (options: ResolvedResourceServerOptions, metrics: ResourceServerMetrics) => {
        if (!options.revocation) return null;
        const list = new RevocationList(options.revocation);
        metrics.revocationList(() => list.status());
        return list;
      },
    },
    {
      provide: RESOURCE_SERVER_READINESS,
      inject: [IssuerKeySets, REVOCATION_LIST],
      useFactory: (
        keySets: IssuerKeySets,
        list: RevocationList | null,
      ): ResourceServerReadiness => ({
        readiness: async () => ({
          ...(await keySets.readiness()),
          ...(list && { revocation: revocationReadiness(list.status()) }),
        }),
      }),
    },
    RoutePolicies,
    RoutePolicyAudit,
    JwtStrategy,
    JwtAuthGuard,
  ],
  exports: [JwtStrategy, JwtAuthGuard, RESOURCE_SERVER_READINESS],
})
export class ResourceServerModule
  extends ResourceServerConfigurableModule
  implements OnModuleInit, OnModuleDestroy
{
  constructor(
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS)
    private readonly resolved: ResolvedResourceServerOptions,
    private readonly audit: RoutePolicyAudit,
    @Inject(REVOCATION_LIST) private readonly revocations: RevocationList | null,
  ) {
    super();
  }

  /**
   * A plain-HTTP issuer (the local emulator) is for development: say so once. Every route
   * must declare its policy: refuse to start, or with `routePolicy: 'warn'` say so, naming
   * the routes that do not. Then the revocation list, when there is one, starts (its first
   * load waited for, within its `startupWaitMs`).
   */
  async onModuleInit(): Promise<void> {
    const logger = new Logger(ResourceServerModule.name);
    for (const issuer of this.resolved.issuers) {
      if (new URL(issuer).protocol === 'http:') {
        logger.warn(`Trusting tokens of ${issuer}, an issuer over plain HTTP: development only`);
      }
    }
    this.checkRoutePolicies(logger);
    await this.revocations?.start();
  }

  private checkRoutePolicies(logger: Logger): void {
    const routes = this.audit
      .problems()
      .map(({ route, problem }) =>
        problem === 'none'
          ? route
          : `${route}: ${problem === 'conflicting' ? 'conflicting policies' : '@RequireClaim on a @Public() route'}`,
      );
    if (routes.length === 0) return;
    const message =
      `${routes.length} route(s) declare no access policy; give each @Scopes(...), ` +
      `@AnyValidToken() or @Public() (exactly one; @RequireClaim narrows one that needs a ` +
      `token): ${routes.join('; ')}`;
    if (this.resolved.routePolicy === 'enforce') throw new RoutePolicyError(message, routes);
    logger.warn(`${message}. They accept any valid token until they do.`);
  }

  async onModuleDestroy(): Promise<void> {
    await this.revocations?.stop();
  }

  static override forRoot(options: typeof RESOURCE_SERVER_OPTIONS_TYPE): DynamicModule {
    return withGlobalGuards(super.forRoot(options), options.globalGuards ?? true);
  }

  static override forRootAsync(options: typeof RESOURCE_SERVER_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withGlobalGuards(super.forRootAsync(options), options.globalGuards ?? true);
  }
}

/** The revocation list's readiness: down until it first loads, then up with its state. */
function revocationReadiness(status: RevocationStatus): { up: boolean } & Record<string, unknown> {
  const at = (ms: number | undefined) =>
    ms === undefined ? undefined : new Date(ms).toISOString();
  return {
    up: status.state !== 'loading',
    state: status.state,
    entries: status.entries,
    ...(status.loadedAt !== undefined && { loadedAt: at(status.loadedAt) }),
    ...(status.failingSince !== undefined && {
      failingSince: at(status.failingSince),
      reason: status.reason,
    }),
  };
}

function withGlobalGuards(definition: DynamicModule, enabled: boolean): DynamicModule {
  if (!enabled) return definition;
  const guards: Provider[] = [{ provide: APP_GUARD, useExisting: JwtAuthGuard }];
  return { ...definition, providers: [...(definition.providers ?? []), ...guards] };
}
