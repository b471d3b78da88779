import type { HealthCheckAttempt, HealthIndicatorResult } from '@nestjs/terminus';

/**
 * A readiness check an app contributes to `GET /health/ready`: an injectable class
 * (it may inject the app's own services and terminus' `HealthIndicatorService`) whose
 * `isHealthy()` reports one keyed result. Throwing counts as down.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class KeySetIndicator implements ReadinessIndicator {
 *   constructor(private readonly health: HealthIndicatorService, private readonly keys: KeySet) {}
 *   isHealthy() {
 *     const check = this.health.check('jwks');
 *     return this.keys.loaded ? check.up() : check.down({ reason: 'key set not loaded' });
 *   }
 * }
 * ```
 */
export interface ReadinessIndicator {
  isHealthy():
    | HealthIndicatorResult
    | PromiseLike<HealthIndicatorResult>
    | HealthCheckAttempt
    | PromiseLike<HealthCheckAttempt>;
}

export const READINESS_INDICATORS = Symbol('READINESS_INDICATORS');
