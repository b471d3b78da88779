import { Reflector } from '@nestjs/core';

/** The typed metadata behind `@Scopes()`; read with `reflector.getAllAndOverride(RequiredScopes, ...)`. */
export const RequiredScopes = Reflector.createDecorator<string[]>();

/**
 * Scopes a route (or every route of a controller) requires; the principal
 * needs all of them. A handler's `@Scopes()` overrides its controller's.
 *
 * @example
 * ```ts
 * @Scopes('weather-api/forecast.read')
 * @Get('weatherforecast')
 * list() { ... }
 * ```
 */
export const Scopes = (...scopes: string[]): ClassDecorator & MethodDecorator =>
  RequiredScopes(scopes);
