import { type ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { SAFE_ID } from '../observability/request-id.js';
import { toHttpException } from './auth-response.js';
import { extractBearerToken, requestTokens } from './bearer-token.js';
import { JwksKeyStore } from './jwks-key-store.js';
import { JwtStrategy } from './jwt.strategy.js';
import type { Principal } from './principal.decorator.js';
import { Public } from './public.decorator.js';
import {
  ResourceServerError,
  TokenExpiredError,
  TokenIssuerError,
  TokenMalformedError,
  TokenNotYetValidError,
  TokenSignatureError,
  TokenAlgorithmError,
} from './resource-server.errors.js';
import { ResourceServerMetrics } from './resource-server.metrics.js';
import { RESOLVED_RESOURCE_SERVER_OPTIONS } from './resource-server.module-definition.js';
import type { ResolvedResourceServerOptions } from './resource-server.options.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

interface HttpRequest {
  rawHeaders: string[];
  user?: Principal;
}

/** Maps what passport-jwt / jsonwebtoken reported (by error name, as jsonwebtoken is not a direct dependency) to a library error. */
export function toResourceServerError(err: unknown): ResourceServerError {
  if (err instanceof ResourceServerError) return err;
  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : '';
  if (name === 'TokenExpiredError') {
    return new TokenExpiredError('the token has expired', { cause: err });
  }
  if (name === 'NotBeforeError') {
    return new TokenNotYetValidError('the token is not yet valid', { cause: err });
  }
  if (name === 'JsonWebTokenError') {
    if (message === 'invalid signature') {
      return new TokenSignatureError('the token signature is invalid', { cause: err });
    }
    if (message === 'invalid algorithm') {
      return new TokenAlgorithmError('the token algorithm is not allowed (RS256 only)', {
        cause: err,
      });
    }
    if (message.startsWith('jwt issuer invalid')) {
      return new TokenIssuerError('the token issuer is not trusted', { cause: err });
    }
  }
  return new TokenMalformedError('the token is malformed', { cause: err });
}

/** Payload segments longer than this (base64url chars) are not decoded for the log. */
const MAX_LOGGED_PAYLOAD = 8192;

/**
 * Global guard: every route needs a valid bearer token unless it is
 * `@Public()`. Answers failures per RFC 6750 (see `authErrorResponse`) and
 * keeps a bounded cache of verified tokens (expiry and key publication are
 * re-checked on every hit). On success `req.user` is the frozen {@link Principal}.
 *
 * `ResourceServerModule.forRoot()` registers it globally; with `globalGuards: false`
 * bind it yourself, before `ScopesGuard`.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [ResourceServerModule.forRoot({ issuer, globalGuards: false })],
 *   providers: [
 *     { provide: APP_GUARD, useExisting: JwtAuthGuard },
 *     { provide: APP_GUARD, useExisting: ScopesGuard },
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard() {
  private readonly logger = new Logger(JwtAuthGuard.name);
  private readonly cache: VerifiedTokenCache;

  constructor(
    private readonly reflector: Reflector,
    strategy: JwtStrategy,
    private readonly keyStore: JwksKeyStore,
    private readonly metrics: ResourceServerMetrics,
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS)
    private readonly settings: ResolvedResourceServerOptions,
  ) {
    super({ defaultStrategy: strategy.strategyName, session: false });
    this.cache = new VerifiedTokenCache(settings.verifiedTokenCacheSize);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride(Public, [context.getHandler(), context.getClass()])) {
      return true;
    }
    const http = context.switchToHttp();
    const req = http.getRequest<HttpRequest>();
    let token: string | undefined;
    try {
      token = extractBearerToken(req.rawHeaders);
      const key = VerifiedTokenCache.keyOf(token);
      const cached = this.cache.get(key, (kid) => this.keyStore.isPublished(kid));
      if (cached) {
        req.user = cached;
        return true;
      }
      requestTokens.set(req, token);
      await super.canActivate(context);
      const principal = req.user as Principal;
      const kid = (
        JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as {
          kid: string;
        }
      ).kid;
      const exp = principal.claims.exp as number;
      this.cache.set(key, principal, (exp + this.settings.clockToleranceSeconds) * 1000, kid);
      return true;
    } catch (thrown) {
      const err = toResourceServerError(thrown);
      this.metrics.decision(err.code);
      // One line per denial, at info: the reason code and the (unverified) client id, never the token.
      this.logger.log({
        msg: `auth denied: ${err.code}`,
        reason: err.code,
        client_id: token ? this.unverifiedClientId(token) : '-',
      });
      throw toHttpException(err, this.settings.realm, http.getResponse());
    } finally {
      requestTokens.delete(req);
    }
  }

  override handleRequest<TUser = Principal>(err: unknown, user: unknown, info: unknown): TUser {
    if (err || !user) throw toResourceServerError(err ?? info);
    return user as TUser;
  }

  /**
   * The `client_id` (or `aud`) of a denied token, for the log line only: never trusted, never
   * verified. Decodes the payload segment once, and not at all when it is implausibly large.
   */
  private unverifiedClientId(token: string): string {
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
}
