import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import { Strategy } from 'passport-jwt';
import { extractBearerToken } from './bearer-token.js';
import { JwksKeyStore } from './jwks-key-store.js';
import type { Principal } from './principal.decorator.js';
import {
  ClientNotAllowedError,
  TokenIssuerError,
  TokenMalformedError,
  TokenUseError,
} from './resource-server.errors.js';
import { RESOLVED_RESOURCE_SERVER_OPTIONS } from './resource-server.module-definition.js';
import type { ResolvedResourceServerOptions } from './resource-server.options.js';
import { checkTokenHeader } from './token-header.js';
import { checkTokenTimes } from './token-times.js';
import { freezePrincipal } from './verified-token-cache.js';

/** What a successful verification yields: the principal, and what the verified-token cache keeps. */
export interface VerifiedToken {
  principal: Readonly<Principal>;
  /** The `kid` of the key that signed the token. */
  kid: string;
  /** Last instant (epoch ms) the token is valid: `exp` plus the clock tolerance. */
  validUntil: number;
}

/** What passport-jwt hands to `validate` with `complete: true` (jsonwebtoken's decoded token). */
interface DecodedToken {
  header: { kid?: unknown };
  payload: unknown;
}

/**
 * The passport-jwt strategy of a resource server. passport-jwt (jsonwebtoken) verifies the
 * RS256 signature against the issuer's key set (jwks-rsa, see `JwksKeyStore`); before that,
 * `checkTokenHeader` decodes the header once and refuses any other `alg` and any `crit`;
 * after it, `validate()` checks the times (`checkTokenTimes`: finite `exp`/`nbf`/`iat`, none
 * in the future, `exp` not past, with the clock tolerance), `iss`, `token_use` and the
 * `client_id` allow-list, each failure a typed `ResourceServerError`, and returns the
 * {@link VerifiedToken}. The token comes from the request's Authorization header.
 *
 * Each instance registers with passport under its own name (`strategyName`), so several
 * apps with different issuers can share a process.
 *
 * @example
 * ```ts
 * // Provided by ResourceServerModule; a custom guard can authenticate with it:
 * @Injectable()
 * export class MyGuard extends AuthGuard() {
 *   constructor(strategy: JwtStrategy) {
 *     super({ defaultStrategy: strategy.strategyName, session: false });
 *   }
 *   // req.user is then the VerifiedToken; its `principal` is who called.
 * }
 * ```
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') implements OnModuleDestroy {
  /** The passport name `JwtAuthGuard` authenticates with. */
  readonly strategyName = `jwt:${randomUUID()}`;

  constructor(
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS)
    private readonly options: ResolvedResourceServerOptions,
    keyStore: JwksKeyStore,
  ) {
    super({
      jwtFromRequest: (req: { rawHeaders: string[] }) => extractBearerToken(req.rawHeaders),
      secretOrKeyProvider: (
        _req: unknown,
        rawJwt: string,
        done: (err: unknown, key?: string | Buffer) => void,
      ) => {
        let kid: string;
        try {
          kid = checkTokenHeader(rawJwt);
        } catch (err) {
          done(err);
          return;
        }
        keyStore.getKey(kid).then(
          // jsonwebtoken takes a KeyObject too (parsed once per key set, not per token).
          (key) => done(null, key as unknown as string),
          (err: unknown) => done(err),
        );
      },
      algorithms: ['RS256'],
      // Times and issuer are checked in validate(), with typed errors.
      ignoreExpiration: true,
      jsonWebTokenOptions: { ignoreNotBefore: true, complete: true },
    });
    passport.use(this.strategyName, this);
  }

  onModuleDestroy(): void {
    passport.unuse(this.strategyName);
  }

  /** Checks what the signature does not (times, issuer, `token_use`, client, claim types). */
  validate(decoded: DecodedToken): VerifiedToken {
    const payload = decoded.payload;
    if (typeof payload !== 'object' || payload === null) {
      throw new TokenMalformedError('the token is malformed');
    }
    const claims = payload as Record<string, unknown>;
    const tolerance = this.options.clockToleranceSeconds;
    const exp = checkTokenTimes(claims, Date.now() / 1000, tolerance);
    if (claims.iss !== this.options.issuer) {
      throw new TokenIssuerError('the token issuer is not trusted');
    }
    const tokenUse = this.options.tokenUse;
    if (claims.token_use !== tokenUse) {
      throw new TokenUseError(`the token is not an ${tokenUse === 'id' ? 'ID' : 'access'} token`);
    }
    const clientId = tokenUse === 'access' ? claims.client_id : claims.aud;
    if (typeof clientId !== 'string' || clientId.length === 0) {
      throw new TokenMalformedError('the token has no client_id');
    }
    if (typeof claims.sub !== 'string') throw new TokenMalformedError('the token lacks sub');
    if (this.options.clientIds && !this.options.clientIds.has(clientId)) {
      throw new ClientNotAllowedError('the token client is not allowed');
    }
    const scope = claims.scope;
    if (scope !== undefined && typeof scope !== 'string') {
      throw new TokenMalformedError('the token scope claim is not a string');
    }
    const username = claims.username ?? claims['cognito:username'];
    return {
      principal: freezePrincipal({
        clientId,
        subject: claims.sub,
        scopes: scope ? scope.split(' ').filter((s) => s.length > 0) : [],
        tokenUse,
        ...(typeof username === 'string' ? { username } : {}),
        claims,
      }),
      // checkTokenHeader ran on this token: its kid is a non-empty string.
      kid: decoded.header.kid as string,
      validUntil: (exp + tolerance) * 1000,
    };
  }
}
