import { Controller, Get, Inject } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  type HealthIndicatorFunction,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { Public } from '../shared/public.decorator.js';
import { READINESS_INDICATORS, type ReadinessIndicator } from './readiness-indicator.js';

// `swaggerDocumentation: false`: terminus would otherwise `require('@nestjs/swagger')`
// wherever it is installed, so every service of a fleet that has it (for one service's
// docs page) paid for it at start-up: about 13 MiB of RSS and 0.3 s, with no docs to serve.
// A service that serves docs describes these two probes itself (weather-api: openapi.ts).
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
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  live() {
    return this.health.check([]);
  }

  /** Up when every readiness indicator is; 503 with the per-indicator details otherwise. */
  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
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
