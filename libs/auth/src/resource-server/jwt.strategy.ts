import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { decodeProtectedHeader } from 'jose';
import passport from 'passport';
import { Strategy } from 'passport-jwt';
import { requestTokens } from './bearer-token.js';
import { JwksKeyStore } from './jwks-key-store.js';
import type { Principal } from './principal.decorator.js';
import { freezePrincipal } from './verified-token-cache.js';
import { RESOLVED_RESOURCE_SERVER_OPTIONS } from './resource-server.module-definition.js';
import type { ResolvedResourceServerOptions } from './resource-server.options.js';
import {
  ClientNotAllowedError,
  TokenAlgorithmError,
  TokenMalformedError,
  TokenUseError,
  UnknownKeyError,
} from './resource-server.errors.js';

let instances = 0;

/**
 * The passport-jwt strategy of a resource server: RS256 only, signature
 * against the issuer's key set (jwks-rsa, see `JwksKeyStore`), `iss`,
 * `exp`/`nbf` with the clock tolerance; `validate()` then checks `token_use`
 * and the `client_id` allow-list and returns the {@link Principal}.
 *
 * Each instance registers with passport under its own name (`strategyName`),
 * so several apps with different issuers can share a process.
 *
 * @example
 * ```ts
 * // Provided by ResourceServerModule; a custom guard can authenticate with it:
 * @Injectable()
 * export class MyGuard extends AuthGuard() {
 *   constructor(strategy: JwtStrategy) {
 *     super({ defaultStrategy: strategy.strategyName, session: false });
 *   }
 * }
 * ```
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') implements OnModuleDestroy {
  /** The passport name `JwtAuthGuard` authenticates with. */
  readonly strategyName: string;

  constructor(
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS)
    private readonly options: ResolvedResourceServerOptions,
    keyStore: JwksKeyStore,
  ) {
    super({
      jwtFromRequest: (req: object) => requestTokens.get(req) ?? null,
      secretOrKeyProvider: (
        _req: unknown,
        rawJwt: string,
        done: (err: unknown, key?: string | Buffer) => void,
      ) => {
        let alg: unknown;
        let kid: unknown;
        try {
          ({ alg, kid } = decodeProtectedHeader(rawJwt));
        } catch (cause) {
          done(new TokenMalformedError('the token is malformed', { cause }));
          return;
        }
        if (alg !== 'RS256') {
          done(new TokenAlgorithmError('the token algorithm is not allowed (RS256 only)'));
          return;
        }
        if (typeof kid !== 'string' || kid.length === 0) {
          done(new UnknownKeyError('the token names no signing key (kid)'));
          return;
        }
        keyStore.getKey(kid).then(
          // jsonwebtoken takes a KeyObject too (parsed once per key set, not per token).
          (key) => done(null, key as unknown as string),
          (err: unknown) => done(err),
        );
      },
      algorithms: ['RS256'],
      issuer: options.issuer,
      jsonWebTokenOptions: { clockTolerance: options.clockToleranceSeconds },
    });
    this.strategyName = `jwt#${++instances}`;
    passport.use(this.strategyName, this);
  }

  onModuleDestroy(): void {
    passport.unuse(this.strategyName);
  }

  /** Checks what the signature does not (`token_use`, client, claim types) and builds the principal. */
  validate(payload: Record<string, unknown>): Principal {
    const tokenUse = this.options.tokenUse;
    if (payload.token_use !== tokenUse) {
      throw new TokenUseError(
        `the token is not an ${this.options.tokenUse === 'id' ? 'ID' : 'access'} token`,
      );
    }
    const clientId = tokenUse === 'access' ? payload.client_id : payload.aud;
    if (typeof clientId !== 'string' || clientId.length === 0) {
      throw new TokenMalformedError('the token has no client_id');
    }
    if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') {
      throw new TokenMalformedError('the token lacks sub or exp');
    }
    if (this.options.clientIds && !this.options.clientIds.has(clientId)) {
      throw new ClientNotAllowedError('the token client is not allowed');
    }
    const scope = payload.scope;
    if (scope !== undefined && typeof scope !== 'string') {
      throw new TokenMalformedError('the token scope claim is not a string');
    }
    const username = payload.username ?? payload['cognito:username'];
    return freezePrincipal({
      clientId,
      subject: payload.sub,
      scopes: scope ? scope.split(' ').filter((s) => s.length > 0) : [],
      tokenUse,
      ...(typeof username === 'string' ? { username } : {}),
      claims: payload,
    });
  }
}
