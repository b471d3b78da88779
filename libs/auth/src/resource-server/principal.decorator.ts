import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/**
 * Who called: built from a verified Cognito token by `JwtStrategy.verify()`. Deeply frozen:
 * the verified-token cache hands the same object to every request with that token, so no
 * request can change what the next one sees.
 */
export interface Principal {
  /** `client_id` (access token) or `aud` (ID token): the app client. */
  clientId: string;
  /** `sub`: the client id for machine tokens, the user's id for user tokens. */
  subject: string;
  /** `scope`, split on spaces. */
  scopes: readonly string[];
  /** `token_use`. */
  tokenUse: 'access' | 'id';
  /** `username` (or `cognito:username`) for user tokens. */
  username?: string;
  /** Every verified claim. */
  claims: Readonly<Record<string, unknown>>;
}

/**
 * Injects the authenticated {@link Principal} into a handler parameter.
 *
 * @example
 * ```ts
 * @Get('whoami')
 * whoami(@Principal() principal: Principal) { return principal; }
 * ```
 */
export const Principal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal | undefined =>
    ctx.switchToHttp().getRequest<{ user?: Principal }>().user,
);
