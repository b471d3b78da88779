import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import { KEY_SET_READINESS, type KeySetReadiness } from '../shared/readiness.js';
import type { ReadinessIndicator } from './readiness-indicator.js';

/**
 * Readiness of a resource server: up once the issuer's key set is loaded, down (503 on
 * `GET /health/ready`) while it cannot be fetched, up again when it can. Re-checks the key
 * set at most once per penalty window. Finds the app's `ResourceServerModule` by itself.
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
  private keys: KeySetReadiness | undefined;

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly moduleRef: ModuleRef,
  ) {}

  async isHealthy() {
    this.keys ??= this.moduleRef.get<KeySetReadiness>(KEY_SET_READINESS, { strict: false });
    const check = this.health.check('jwks');
    return (await this.keys.isReady())
      ? check.up()
      : check.down({ reason: 'the issuer key set is unreachable' });
  }
}
