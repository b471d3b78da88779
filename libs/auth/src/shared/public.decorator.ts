import { Reflector } from '@nestjs/core';

/**
 * Marks a route or controller as reachable without a token. Every other route
 * needs a valid access token (deny by default).
 *
 * @example
 * ```ts
 * @Public()
 * @Get('health')
 * health() { return { status: 'ok' }; }
 * ```
 */
export const Public = Reflector.createDecorator<boolean | undefined, true>({
  transform: () => true,
});
