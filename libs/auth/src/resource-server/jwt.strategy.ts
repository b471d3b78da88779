import { Inject, Injectable } from '@nestjs/common';
import type { GetPublicKeyOrSecret, Jwt } from 'jsonwebtoken';
import {
  Strategy,
  type StrategyOptionsWithRequest,
  type VerifyCallbackWithRequest,
} from 'passport-jwt';
import { bearerToken } from './bearer-token.js';
import { JwksKeyStore } from './jwks-key-store.js';
import type { Principal } from './principal.decorator.js';
import {
  ClientNotAllowedError,
  ResourceServerError,
  TokenIssuerError,
  TokenMalformedError,
  TokenSignatureError,
  TokenUseError,
} from './resource-server.errors.js';
import { RESOLVED_RESOURCE_SERVER_OPTIONS } from './resource-server.module-definition.js';
import type { ResolvedResourceServerOptions } from './resource-server.options.js';
import { checkTokenHeader } from './token-header.js';
import { checkTokenTimes } from './token-times.js';

/** A token that passed every check: what the guard answers with and the verified-token cache keeps. */
export interface VerifiedToken {
  /** Who called; deeply frozen, so every request holding this token can share it. */
  principal: Readonly<Principal>;
  /** The `kid` of the key that signed the token. */
  kid: string;
  /** First instant (epoch ms) the token is no longer valid: `exp` plus the clock tolerance. */
  expiresAt: number;
}

/** A token that did not pass, and why. */
export interface VerificationFailure {
  error: ResourceServerError;
  /**
   * The token's `client_id` (`aud` for ID tokens) when its signature verified and a claim
   * check failed after that; never an unverified value.
   */
  clientId?: string;
}

/** What a verification settles with. */
type Settle = (result: VerifiedToken | VerificationFailure) => void;

/**
 * One verification: a passport-jwt strategy run for one token, given to itself as its
 * request. passport specialises a strategy per request the same way (`success`, `fail`,
 * `error`), but as closures on a copy; here they are methods, so every run has one shape.
 */
class Verification extends Strategy {
  /** The typed error of the header check or key lookup (jsonwebtoken rewraps it as a string). */
  failure?: ResourceServerError;
  /** Set when the key was found: a jsonwebtoken error after that is about the signature. */
  kid?: string;
  /** The claimed client of a token whose signature verified. */
  clientId?: string;

  constructor(
    options: StrategyOptionsWithRequest,
    verify: VerifyCallbackWithRequest<Verification>,
    readonly token: string,
    private readonly settle: Settle,
    private readonly crash: (error: unknown) => void,
  ) {
    super(options, verify);
  }

  override success(verified: VerifiedToken): void {
    this.settle(verified);
  }

  override fail(info?: unknown): void {
    this.settle({
      error:
        this.failure ??
        (this.kid === undefined
          ? new TokenMalformedError('the token is malformed', { cause: info })
          : new TokenSignatureError('the token signature is invalid', { cause: info })),
    });
  }

  override error(error: unknown): void {
    if (error instanceof ResourceServerError) this.settle({ error, clientId: this.clientId });
    else this.crash(error);
  }

  /** The header check or key lookup failed: remembered when typed, else a bug that rejects. */
  refuse(error: unknown): Error {
    if (error instanceof ResourceServerError) this.failure = error;
    else this.crash(error);
    return error as Error;
  }
}

/** Freezes `value` and everything reachable from it (claims are plain JSON: no cycles). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/**
 * The resource server's one verification step: from an Authorization header value to a
 * {@link VerifiedToken} or a typed {@link VerificationFailure}. Each verification is a
 * passport-jwt strategy run of its own, with no passport middleware and no `req.user` in
 * between: its `jwtFromRequest` is the bearer token (RFC 6750 syntax checked once), its key
 * provider checks the header jsonwebtoken decoded (`checkTokenHeader`: RS256 only, no
 * `crit`, a `kid`) and takes the key from the issuer's key set (jwks-rsa, see
 * `JwksKeyStore`; no I/O while the set is fresh), jsonwebtoken checks the signature, and
 * then the claims: times (`checkTokenTimes`), `iss`, `token_use`, the `client_id`
 * allow-list and the claim types. The token is decoded once, by jsonwebtoken.
 *
 * @example
 * ```ts
 * // Provided by ResourceServerModule; JwtAuthGuard calls it on a verified-token cache miss.
 * const result = await strategy.verify(request.headers.authorization);
 * if ('error' in result) throw result.error; // a ResourceServerError: no_token, expired, ...
 * result.principal.clientId;
 * ```
 */
@Injectable()
export class JwtStrategy {
  private readonly passportJwtOptions: StrategyOptionsWithRequest;
  private readonly checkVerified: VerifyCallbackWithRequest<Verification>;

  constructor(
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS)
    private readonly options: ResolvedResourceServerOptions,
    private readonly keyStore: JwksKeyStore,
  ) {
    this.passportJwtOptions = {
      jwtFromRequest: (run: Verification) => run.token,
      // jsonwebtoken takes a key callback too; passport-jwt's types only name strings and Buffers.
      secretOrKeyProvider: (
        run: Verification,
        _token: unknown,
        done: (e: null, k: never) => void,
      ) => done(null, this.keyOf(run) as never),
      algorithms: ['RS256'],
      // Times and issuer are checked after the signature, with typed errors.
      ignoreExpiration: true,
      jsonWebTokenOptions: { ignoreNotBefore: true, complete: true },
      passReqToCallback: true,
    };
    this.checkVerified = (run: Verification, decoded: Jwt, done) => {
      try {
        done(null, this.checkClaims(run, decoded));
      } catch (error) {
        done(error);
      }
    };
  }

  /**
   * Verifies one request's Authorization header value (`undefined` when it has none). Resolves
   * to the verified token or to the reason it failed; rejects only on a bug.
   */
  verify(authorization: string | undefined): Promise<VerifiedToken | VerificationFailure> {
    let token: string;
    try {
      token = bearerToken(authorization);
    } catch (error) {
      return Promise.resolve({ error: error as ResourceServerError });
    }
    return new Promise((settle, crash) => {
      const run = new Verification(
        this.passportJwtOptions,
        this.checkVerified,
        token,
        settle,
        crash,
      );
      // passport-jwt's types name Express's request; its "request" is whatever jwtFromRequest reads.
      run.authenticate(run as never);
    });
  }

  /** jsonwebtoken's key callback for one verification: the header rules, then the issuer's key. */
  private keyOf(run: Verification): GetPublicKeyOrSecret {
    return (header, callback) => {
      let kid: string;
      try {
        kid = checkTokenHeader(header);
        // An unsigned token is malformed here: no key is looked up for it.
        if (run.token.endsWith('.')) throw new TokenMalformedError('the token is malformed');
      } catch (error) {
        callback(run.refuse(error));
        return;
      }
      const published = this.keyStore.publishedKey(kid);
      if (published) {
        run.kid = kid;
        callback(null, published);
        return;
      }
      this.keyStore.getKey(kid).then(
        (key) => {
          run.kid = kid;
          callback(null, key);
        },
        (error: unknown) => callback(run.refuse(error)),
      );
    };
  }

  /** What the signature does not prove: times, issuer, `token_use`, client, claim types. */
  private checkClaims(run: Verification, decoded: Jwt): VerifiedToken {
    const payload: unknown = decoded.payload;
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw new TokenMalformedError('the token is malformed');
    }
    const claims = payload as Record<string, unknown>;
    const { tokenUse, issuer, clockToleranceSeconds } = this.options;
    const clientId = tokenUse === 'access' ? claims.client_id : claims.aud;
    if (typeof clientId === 'string') run.clientId = clientId;
    const exp = checkTokenTimes(claims, Date.now() / 1000, clockToleranceSeconds);
    if (claims.iss !== issuer) throw new TokenIssuerError('the token issuer is not trusted');
    // The configured string, not a copy per cached token.
    claims.iss = issuer;
    if (claims.token_use !== tokenUse) {
      throw new TokenUseError(`the token is not an ${tokenUse === 'id' ? 'ID' : 'access'} token`);
    }
    if (typeof clientId !== 'string' || clientId.length === 0) {
      throw new TokenMalformedError('the token has no client_id');
    }
    if (typeof claims.sub !== 'string') throw new TokenMalformedError('the token lacks sub');
    if (this.options.clientIds && !this.options.clientIds.has(clientId)) {
      throw new ClientNotAllowedError('the token client is not allowed');
    }
    const scope: unknown = claims.scope;
    if (scope !== undefined && typeof scope !== 'string') {
      throw new TokenMalformedError('the token scope claim is not a string');
    }
    const username: unknown = claims.username ?? claims['cognito:username'];
    const principal: Principal = {
      clientId,
      subject: claims.sub,
      scopes: scope ? scope.split(' ').filter((s) => s.length > 0) : [],
      tokenUse,
      claims,
    };
    if (typeof username === 'string') principal.username = username;
    return {
      principal: deepFreeze(principal),
      // The signature verified, so the key callback found the key of this kid.
      kid: run.kid ?? '',
      expiresAt: (exp + clockToleranceSeconds) * 1000,
    };
  }
}
