import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RESOURCE_SERVER_READINESS, type ResourceServerReadiness } from '../shared/readiness.js';
import type { ReadinessIndicator } from './readiness-indicator.js';

/**
 * Readiness of a resource server: up once an issuer key set is loaded, down (503 on
 * `GET /health/ready`) while one in use cannot be fetched, up again when it can; the result
 * (`jwks`) names each key set's state (`up`, `unreachable`, `not in use`). Re-checks a key set
 * at most once per penalty window. With a revocation list, a second result (`revocation`):
 * down until the list first loads, then up with its state (`live`, or `stale` while the store
 * is unreachable and the last list is enforced), its entry count and last reload. Finds the
 * app's `ResourceServerModule` by itself.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     ObservabilityModule.forRoot({ service: 'weather-api', readiness: [JwksReadinessIndicator] }),
 *     ResourceServerModule.forRoot({ issuer }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Injectable()
export class JwksReadinessIndicator implements ReadinessIndicator {
  private server: ResourceServerReadiness | undefined;

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly moduleRef: ModuleRef,
  ) {}

  async isHealthy() {
    this.server ??= this.moduleRef.get<ResourceServerReadiness>(RESOURCE_SERVER_READINESS, {
      strict: false,
    });
    const { up, keySets, revocation } = await this.server.readiness();
    const jwks = this.health.check('jwks');
    const result = up
      ? jwks.up({ keySets })
      : jwks.down({ reason: 'the issuer key set is unreachable', keySets });
    if (!revocation) return result;
    const { up: listUp, ...details } = revocation;
    const list = this.health.check('revocation');
    return { ...result, ...(listUp ? list.up(details) : list.down(details)) };
  }
}
