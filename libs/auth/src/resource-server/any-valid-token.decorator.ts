import { Reflector } from '@nestjs/core';

/**
 * Opens a route (or every route of a controller) to any valid access token of the issuer,
 * and of the `clientIds` allow-list when one is set, whatever its scopes. A route declares
 * this, `@Scopes(...)` or `@Public()`; one that declares none stops start-up.
 *
 * @example
 * ```ts
 * @AnyValidToken()
 * @Get('whoami')
 * whoami(@Principal() principal: Principal) { return principal; }
 * ```
 */
export const AnyValidToken = Reflector.createDecorator<boolean | undefined, true>({
  transform: () => true,
});
