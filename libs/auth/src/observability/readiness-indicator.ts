import type { HealthCheckAttempt, HealthIndicatorResult } from '@nestjs/terminus';

/**
 * A readiness check an app contributes to `GET /health/ready`: an injectable class
 * (it may inject the app's own services and terminus' `HealthIndicatorService`) whose
 * `isHealthy()` reports one keyed result. Throwing counts as down.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class StockIndicator implements ReadinessIndicator {
 *   constructor(private readonly health: HealthIndicatorService, private readonly stock: StockService) {}
 *   isHealthy() {
 *     const check = this.health.check('stock');
 *     return this.stock.loaded ? check.up() : check.down({ reason: 'stock not loaded' });
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
