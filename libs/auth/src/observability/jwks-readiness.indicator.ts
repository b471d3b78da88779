import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { JwksKeyStore } from '../resource-server/jwks-key-store.js';
import type { ReadinessIndicator } from './readiness-indicator.js';

/**
 * Readiness of a resource server: up once the issuer's key set is loaded, down (503 on
 * `GET /health/ready`) while it cannot be fetched, up again when it can. Re-checks the key
 * set at most once per penalty window (see `JwksKeyStore.isReady`).
 *
 * @example
 * ```ts
 * const resourceServer = ResourceServerModule.forRoot({ issuer });
 * @Module({
 *   imports: [
 *     resourceServer,
 *     HealthModule.forRoot({ readiness: [JwksReadinessIndicator], imports: [resourceServer] }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Injectable()
export class JwksReadinessIndicator implements ReadinessIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly keys: JwksKeyStore,
  ) {}

  async isHealthy() {
    const check = this.health.check('jwks');
    return (await this.keys.isReady())
      ? check.up()
      : check.down({ reason: 'the issuer key set is unreachable' });
  }
}
