import { type ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { SAFE_ID } from '../shared/request-context.js';
import { toHttpException } from './auth-response.js';
import { authorizationHeader, bearerToken } from './bearer-token.js';
import { JwksKeyStore } from './jwks-key-store.js';
import { JwtStrategy, type VerifiedToken } from './jwt.strategy.js';
import type { Principal } from './principal.decorator.js';
import {
  InsufficientScopeError,
  ResourceServerError,
  TokenSignatureError,
} from './resource-server.errors.js';
import { ResourceServerMetrics } from './resource-server.metrics.js';
import { RESOLVED_RESOURCE_SERVER_OPTIONS } from './resource-server.module-definition.js';
import type { ResolvedResourceServerOptions } from './resource-server.options.js';
import { RoutePolicies, type RoutePolicy } from './route-policy.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

interface HttpRequest {
  rawHeaders: string[];
  user?: Readonly<Principal> | VerifiedToken;
}

/** Payload segments longer than this (base64url chars) are not decoded for the log. */
const MAX_LOGGED_PAYLOAD = 8192;

/**
 * The resource server's guard: every route needs a valid bearer token unless it is
 * `@Public()`, and the token must hold every scope of the route's `@Scopes()` (handler over
 * controller), else 403 `insufficient_scope` naming them. A token seen before is answered
 * from a bounded cache of verified tokens (expiry and key publication re-checked on every
 * hit, synchronously); any other goes through passport and {@link JwtStrategy}. Failures
 * are answered per RFC 6750 (see `authErrorResponse`) and counted. On success `req.user`
 * is the frozen {@link Principal}.
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
export class JwtAuthGuard extends AuthGuard() {
  private readonly logger = new Logger(JwtAuthGuard.name);
  private readonly cache: VerifiedTokenCache;
  private readonly isPublished: (kid: string) => boolean;

  constructor(
    private readonly policies: RoutePolicies,
    strategy: JwtStrategy,
    keyStore: JwksKeyStore,
    private readonly metrics: ResourceServerMetrics,
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS)
    private readonly settings: ResolvedResourceServerOptions,
  ) {
    super({ defaultStrategy: strategy.strategyName, session: false });
    this.cache = new VerifiedTokenCache(settings.verifiedTokenCacheSize);
    this.isPublished = (kid) => keyStore.isPublished(kid);
  }

  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const policy = this.policies.of(context);
    if (policy.public) return true;
    const req = context.switchToHttp().getRequest<HttpRequest>();
    let key = '';
    let token: string;
    try {
      const header = authorizationHeader(req.rawHeaders);
      // Keyed by the whole header value: one seen before was a well-formed bearer token
      // whose verification passed, so a hit skips the syntax check as well.
      if (header !== undefined) {
        key = VerifiedTokenCache.keyOf(header);
        const cached = this.cache.get(key, this.isPublished);
        if (cached) {
          req.user = cached;
          return this.authorize(policy, cached, context);
        }
      }
      token = bearerToken(header);
    } catch (thrown) {
      this.deny(thrown, context);
    }
    return this.verify(policy, context, req, token, key);
  }

  /** passport-jwt and JwtStrategy; `req.user` is the strategy's VerifiedToken until unwrapped here. */
  private async verify(
    policy: RoutePolicy,
    context: ExecutionContext,
    req: HttpRequest,
    token: string,
    key: string,
  ): Promise<boolean> {
    try {
      await super.canActivate(context);
    } catch (thrown) {
      this.deny(thrown, context, token);
    }
    const verified = req.user as VerifiedToken;
    req.user = verified.principal;
    this.cache.set(key, verified);
    return this.authorize(policy, verified.principal, context);
  }

  /** The route's scopes, all of them, or 403 `insufficient_scope`. */
  private authorize(
    policy: RoutePolicy,
    principal: Readonly<Principal>,
    context: ExecutionContext,
  ): true {
    if (!policy.scopes.every((scope) => principal.scopes.includes(scope))) {
      this.deny(
        new InsufficientScopeError('the token lacks a required scope', policy.scopes),
        context,
        undefined,
        principal.clientId,
      );
    }
    this.metrics.decision('ok');
    return true;
  }

  /**
   * What passport reports: `info` when verification failed (our typed errors from the key
   * lookup and header check, or jsonwebtoken's, which after `checkTokenHeader` can only be
   * about the signature), `err` when `validate` threw (always a `ResourceServerError`).
   */
  override handleRequest<TUser = VerifiedToken>(err: unknown, user: unknown, info: unknown): TUser {
    if (err instanceof Error) throw err;
    if (!user) {
      throw info instanceof ResourceServerError
        ? info
        : new TokenSignatureError('the token signature is invalid', { cause: info });
    }
    return user as TUser;
  }

  /**
   * Counts and logs a denial and throws the RFC 6750 answer; anything else is rethrown. The
   * log line holds the reason and the client id (verified, or read unverified from the
   * token), never the token.
   */
  private deny(
    thrown: unknown,
    context: ExecutionContext,
    token?: string,
    clientId?: string,
  ): never {
    if (!(thrown instanceof ResourceServerError)) throw thrown;
    this.metrics.decision(thrown.code);
    this.logger.log({
      msg: `auth denied: ${thrown.code}`,
      reason: thrown.code,
      client_id: clientId ?? (token ? unverifiedClientId(token) : '-'),
    });
    throw toHttpException(thrown, this.settings.realm, context.switchToHttp().getResponse());
  }
}

/**
 * The `client_id` (or `aud`) of a denied token, for the log line only: never trusted, never
 * verified. Decodes the payload segment once, and not at all when it is implausibly large.
 */
function unverifiedClientId(token: string): string {
  const start = token.indexOf('.') + 1;
  const end = token.indexOf('.', start);
  if (start === 0 || end < 0 || end - start > MAX_LOGGED_PAYLOAD) return '-';
  try {
    const claims = JSON.parse(
      Buffer.from(token.slice(start, end), 'base64url').toString(),
    ) as Record<string, unknown> | null;
    const id = claims?.client_id ?? claims?.aud;
    return typeof id === 'string' && SAFE_ID.test(id) ? id : '-';
  } catch {
    return '-';
  }
}
