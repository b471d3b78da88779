import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  Logger,
} from '@nestjs/common';
import { SAFE_ID } from '../shared/request-context.js';
import { toHttpException } from './auth-response.js';
import { authorizationHeader } from './bearer-token.js';
import { IssuerKeySets } from './issuer-key-sets.js';
import { JwtStrategy, type VerifiedToken } from './jwt.strategy.js';
import type { Principal } from './principal.decorator.js';
import {
  InsufficientClaimError,
  InsufficientScopeError,
  type ResourceServerError,
} from './resource-server.errors.js';
import { ResourceServerMetrics } from './resource-server.metrics.js';
import { RESOLVED_RESOURCE_SERVER_OPTIONS } from './resource-server.module-definition.js';
import type { ResolvedResourceServerOptions } from './resource-server.options.js';
import { RoutePolicies, type RoutePolicy } from './route-policy.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

interface HttpRequest {
  rawHeaders: string[];
  user?: Readonly<Principal>;
}

/**
 * The resource server's guard: every route needs a valid bearer token unless it is
 * `@Public()`, and the token must hold every scope of the route's `@Scopes()` (handler over
 * controller), else 403 `insufficient_scope` naming them, and meet every `@RequireClaim()`
 * (handler and controller), else 403 `insufficient_scope` naming the claim. It reads the route's policy, then
 * the request's one Authorization header, answered from a bounded cache of verified tokens
 * when seen before (expiry, key publication and revocation re-checked, synchronously) or else
 * verified by {@link JwtStrategy}; then it authorizes and answers. Failures are answered per RFC 6750
 * (see `authErrorResponse`), counted and logged (reason and client id, never the token). On
 * success `req.user` is the frozen {@link Principal}.
 *
 * `ResourceServerModule.forRoot()` registers it globally; with `globalGuards: false`
 * bind it yourself.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [ResourceServerModule.forRoot({ issuer, globalGuards: false })],
 *   providers: [{ provide: APP_GUARD, useExisting: JwtAuthGuard }],
 * })
 * export class AppModule {}
 * ```
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly logger = new Logger(JwtAuthGuard.name);
  private readonly cache: VerifiedTokenCache;

  constructor(
    private readonly policies: RoutePolicies,
    private readonly strategy: JwtStrategy,
    keySets: IssuerKeySets,
    private readonly metrics: ResourceServerMetrics,
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS)
    private readonly settings: ResolvedResourceServerOptions,
  ) {
    this.cache = new VerifiedTokenCache({
      maxEntries: settings.verifiedTokenCacheSize,
      maxBytes: settings.verifiedTokenCacheMaxBytes,
      isPublished: ({ principal, kid }) =>
        keySets.publishedKey(principal.claims.iss, kid) !== undefined,
    });
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const policy = this.policies.of(context);
    if (policy.public) return true;
    const req = context.switchToHttp().getRequest<HttpRequest>();
    let header: string | undefined;
    try {
      header = authorizationHeader(req.rawHeaders);
    } catch (error) {
      this.deny(context, error as ResourceServerError);
    }
    // Keyed by the whole header value: one seen before was a well-formed bearer token
    // whose verification passed.
    const key = header === undefined ? undefined : VerifiedTokenCache.keyOf(header);
    const cached = key === undefined ? undefined : this.cache.get(key);
    if (cached) {
      // Revoked since it was cached: refused all the same.
      const refused = this.strategy.admit(cached);
      if (refused) this.deny(context, refused, cached.principal.clientId);
      return this.authorize(context, policy, req, cached);
    }
    return this.strategy.verify(header).then((result) => {
      if ('error' in result) this.deny(context, result.error, result.clientId);
      if (key !== undefined) this.cache.set(key, result);
      return this.authorize(context, policy, req, result);
    });
  }

  /**
   * Every scope and claim requirement of the route, or 403 `insufficient_scope`; then
   * `req.user` is the principal.
   */
  private authorize(
    context: ExecutionContext,
    policy: RoutePolicy,
    req: HttpRequest,
    { principal }: VerifiedToken,
  ): true {
    if (!policy.scopes.every((scope) => principal.scopes.includes(scope))) {
      this.deny(
        context,
        new InsufficientScopeError('the token lacks a required scope', policy.scopes),
        principal.clientId,
      );
    }
    for (const requirement of policy.claims) {
      if (requirement.satisfiedBy(principal)) continue;
      this.deny(
        context,
        new InsufficientClaimError(
          `the token lacks a required claim (${requirement.claim})`,
          requirement.claim,
        ),
        principal.clientId,
      );
    }
    req.user = principal;
    this.metrics.decision('ok');
    return true;
  }

  /**
   * Counts and logs a denial and throws the RFC 6750 answer. The log line holds the reason
   * and the client id of a token whose signature verified (`-` for any other), never the token.
   */
  private deny(context: ExecutionContext, error: ResourceServerError, clientId?: string): never {
    this.metrics.decision(error.code);
    this.logger.log({
      msg: `auth denied: ${error.code}`,
      reason: error.code,
      client_id: clientId !== undefined && SAFE_ID.test(clientId) ? clientId : '-',
    });
    throw toHttpException(error, this.settings.realm, context.switchToHttp().getResponse());
  }
}
