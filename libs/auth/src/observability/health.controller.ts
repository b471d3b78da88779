import { Controller, Get, Inject } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  type HealthIndicatorFunction,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { Public } from '../shared/public.decorator.js';
import { READINESS_INDICATORS, type ReadinessIndicator } from './readiness-indicator.js';

@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicatorService: HealthIndicatorService,
    @Inject(READINESS_INDICATORS) private readonly indicators: ReadinessIndicator[],
  ) {}

  /** Up while the process serves HTTP; an orchestrator restarts the container otherwise. */
  @Get('live')
  @HealthCheck({ noCache: true, swaggerDocumentation: true })
  live() {
    return this.health.check([]);
  }

  /** Up when every readiness indicator is; 503 with the per-indicator details otherwise. */
  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: true })
  ready() {
    return this.health.check(this.indicators.map((indicator) => this.guarded(indicator)));
  }

  // An indicator that throws reports down under its class name, never a 500.
  private guarded(indicator: ReadinessIndicator): HealthIndicatorFunction {
    return async () => {
      try {
        return await indicator.isHealthy();
      } catch (error) {
        const reason = error instanceof Error ? error.message : 'indicator failed';
        return this.indicatorService.check(indicator.constructor.name).down({ reason });
      }
    };
  }
}
