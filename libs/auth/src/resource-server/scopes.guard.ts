import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  Logger,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { toHttpException } from './auth-response.js';
import type { Principal } from './principal.decorator.js';
import { Public } from '../shared/public.decorator.js';
import { InsufficientScopeError, TokenMissingError } from './resource-server.errors.js';
import { ResourceServerMetrics } from './resource-server.metrics.js';
import { RESOLVED_RESOURCE_SERVER_OPTIONS } from './resource-server.module-definition.js';
import type { ResolvedResourceServerOptions } from './resource-server.options.js';
import { RequiredScopes } from './scopes.decorator.js';

/**
 * Global guard, after `JwtAuthGuard`: the principal must hold every scope of
 * the route's `@Scopes()` (handler over controller), else 403
 * `insufficient_scope` with the required `scope`. Counts the allowed decisions.
 *
 * @example
 * ```ts
 * // Registered by ResourceServerModule.forRoot(); routes then declare what they need:
 * @Controller('weatherforecast')
 * export class WeatherForecastController {
 *   @Scopes('weather-api/forecast.write')
 *   @Post()
 *   create(@Body() observation: ObservationDto) { ... } // 403 insufficient_scope without it
 * }
 * ```
 */
@Injectable()
export class ScopesGuard implements CanActivate {
  private readonly logger = new Logger(ScopesGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly metrics: ResourceServerMetrics,
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS)
    private readonly options: ResolvedResourceServerOptions,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride(Public, targets)) return true;
    const http = context.switchToHttp();
    const principal = http.getRequest<{ user?: Principal }>().user;
    if (!principal) {
      this.metrics.decision('no_token');
      throw toHttpException(
        new TokenMissingError('no authenticated principal'),
        this.options.realm,
        http.getResponse(),
      );
    }
    const required = this.reflector.getAllAndOverride(RequiredScopes, targets) ?? [];
    const missing = required.filter((scope) => !principal.scopes.includes(scope));
    if (missing.length > 0) {
      this.metrics.decision('insufficient_scope');
      this.logger.log({
        msg: 'auth denied: insufficient_scope',
        reason: 'insufficient_scope',
        client_id: principal.clientId,
      });
      throw toHttpException(
        new InsufficientScopeError('the token lacks a required scope', required),
        this.options.realm,
        http.getResponse(),
      );
    }
    this.metrics.decision('ok');
    return true;
  }
}
