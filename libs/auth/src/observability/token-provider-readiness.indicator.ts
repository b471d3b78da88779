import { Injectable, mixin, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import { type TokenReadiness, tokenProviderToken } from '../shared/readiness.js';
import type { ReadinessIndicator } from './readiness-indicator.js';

/**
 * Readiness of an M2M client service: up when each named client holds a valid token or
 * gets one from the token endpoint now (a probe waits at most 2 s; a slower request goes
 * on and fills the cache for the next probe). A client the endpoint refuses
 * (`invalid_client`, ...) keeps the service down: no call it makes could succeed. The
 * result is keyed `m2m`, with one entry per client, and `token-cache` with a shared token
 * cache's state when there is one (unavailable, it leaves the service up).
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     ObservabilityModule.forRoot({
 *       service: 'caller',
 *       readiness: [TokenProviderReadinessIndicator('weather-read')],
 *     }),
 *     M2MClientModule.register({ name: 'weather-read', ... }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export function TokenProviderReadinessIndicator(
  ...clientNames: string[]
): Type<ReadinessIndicator> {
  @Injectable()
  class TokenProviderReadiness implements ReadinessIndicator {
    private providers: TokenReadiness[] | undefined;

    constructor(
      private readonly health: HealthIndicatorService,
      private readonly moduleRef: ModuleRef,
    ) {}

    async isHealthy() {
      this.providers ??= clientNames.map((name) =>
        this.moduleRef.get<TokenReadiness>(tokenProviderToken(name), { strict: false }),
      );
      const results = await Promise.all(this.providers.map((p) => p.readiness()));
      const details: Record<string, string> = Object.fromEntries(
        clientNames.map((name, i) => {
          const result = results[i];
          return [name, result.up ? 'up' : result.reason];
        }),
      );
      // A shared token cache's state (one store serves the clients of an app).
      const store = results.find((r) => r.up && r.store !== undefined);
      if (store?.up && store.store !== undefined) details['token-cache'] = store.store;
      const check = this.health.check('m2m');
      return results.every((r) => r.up) ? check.up(details) : check.down(details);
    }
  }
  return mixin(TokenProviderReadiness);
}
