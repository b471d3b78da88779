import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { GetPublicKeyOrSecret, Jwt } from 'jsonwebtoken';
import passport from 'passport';
import { Strategy, type StrategyOptionsWithRequest } from 'passport-jwt';
import { authErrorResponse } from './auth-response.js';
import { authorizationHeader, bearerToken } from './bearer-token.js';
import { IssuerKeySets } from './issuer-key-sets.js';
import type { JwksKeyStore } from './jwks-key-store.js';
import type { Principal } from './principal.decorator.js';
import type { RevocationList } from '../revocation/revocation-list.js';
import {
  ClientNotAllowedError,
  ResourceServerError,
  RevocationUnavailableError,
  TokenIssuerError,
  TokenMalformedError,
  TokenRevokedError,
  TokenSignatureError,
  TokenUseError,
} from './resource-server.errors.js';
import {
  RESOLVED_RESOURCE_SERVER_OPTIONS,
  REVOCATION_LIST,
} from './resource-server.module-definition.js';
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
 * One verification: one token's run through passport-jwt's `authenticate`. It is passport-jwt's
 * "request" (what `jwtFromRequest`, the key provider and `validate` receive) and, as passport
 * runs a strategy per request, a copy of the strategy: the strategy is its prototype, so it
 * reads the strategy's options; `success`, `fail` and `error` are its methods, so every run has
 * one shape and carries no closures.
 */
interface Verification {
  readonly token: string;
  /** The typed error of the header check or key lookup (jsonwebtoken rewraps it as a string). */
  failure?: ResourceServerError;
  /** Set when the key was found: a jsonwebtoken error after that is about the signature. */
  kid?: string;
  /** The key set the key came from: the verified `iss` must be one of its issuers. */
  keySet?: JwksKeyStore;
  /** The claimed client of a token whose signature verified. */
  clientId?: string;
  /** The header check or key lookup failed: remembered when typed, else a bug that rejects. */
  refuse(error: unknown): Error;
}

type VerificationClass = new (
  token: string,
  settle: Settle,
  crash: (e: unknown) => void,
) => Verification;

/** The class of `strategy`'s runs: see {@link Verification}. */
function verificationsOf(strategy: JwtStrategy, toleranceMs: number): VerificationClass {
  class Run implements Verification {
    failure?: ResourceServerError;
    kid?: string;
    keySet?: JwksKeyStore;
    clientId?: string;

    constructor(
      readonly token: string,
      private readonly settle: Settle,
      private readonly crash: (error: unknown) => void,
    ) {}

    success(principal: Readonly<Principal>): void {
      const verified: VerifiedToken = {
        principal,
        // The signature verified, so the key callback found the key of this kid.
        kid: this.kid ?? '',
        // checkTokenTimes made sure `exp` is a finite number.
        expiresAt: (principal.claims.exp as number) * 1000 + toleranceMs,
      };
      const refused = strategy.admit(verified);
      this.settle(refused ? { error: refused, clientId: principal.clientId } : verified);
    }

    fail(info?: unknown): void {
      this.settle({
        error:
          this.failure ??
          (this.kid === undefined
            ? new TokenMalformedError('the token is malformed', { cause: info })
            : new TokenSignatureError('the token signature is invalid', { cause: info })),
      });
    }

    error(error: unknown): void {
      if (error instanceof ResourceServerError) this.settle({ error, clientId: this.clientId });
      else this.crash(error);
    }

    refuse(error: unknown): Error {
      if (error instanceof ResourceServerError) this.failure = error;
      else this.crash(error);
      return error as Error;
    }
  }
  Object.setPrototypeOf(Run.prototype, strategy);
  return Run;
}

/**
 * jsonwebtoken's key callback for one verification: the header rules, then the key from the
 * key set of the token's issuer (an issuer that is not trusted is refused before any fetch).
 */
function keyOf(run: Verification, keySets: IssuerKeySets): GetPublicKeyOrSecret {
  return (header, callback) => {
    let kid: string;
    let keyStore: JwksKeyStore;
    try {
      kid = checkTokenHeader(header);
      // An unsigned token is malformed here: no key is looked up for it.
      if (run.token.endsWith('.')) throw new TokenMalformedError('the token is malformed');
      keyStore = keySets.keySetOf(run.token, kid);
      run.keySet = keyStore;
    } catch (error) {
      callback(run.refuse(error));
      return;
    }
    const published = keyStore.publishedKey(kid);
    if (published) {
      run.kid = kid;
      callback(null, published);
      return;
    }
    keyStore.getKey(kid).then(
      (key) => {
        run.kid = kid;
        callback(null, key);
      },
      (error: unknown) => callback(run.refuse(error)),
    );
  };
}

/** passport-jwt's options: the same for every run, whichever guard started it. */
function passportJwtOptions(keySets: IssuerKeySets): StrategyOptionsWithRequest {
  return {
    jwtFromRequest: (run: Verification) => run.token,
    // jsonwebtoken takes a key callback too; passport-jwt's types only name strings and Buffers.
    secretOrKeyProvider: (run: Verification, _token: unknown, done: (e: null, k: never) => void) =>
      done(null, keyOf(run, keySets) as never),
    algorithms: ['RS256'],
    // Times and issuer are checked after the signature, by validate(), with typed errors.
    ignoreExpiration: true,
    jsonWebTokenOptions: { ignoreNotBefore: true, complete: true },
    passReqToCallback: true,
  };
}

/**
 * Freezes `value` and everything reachable from it (claims are plain JSON: no cycles, no
 * inherited enumerable keys), without allocating per object.
 */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key in value) deepFreeze(value[key]);
  }
  return value;
}

/** The name {@link JwtStrategy} is registered with passport under. */
const STRATEGY_NAME = 'cognito-jwt';

/**
 * The resource server's passport strategy (`@nestjs/passport`'s `PassportStrategy` over
 * passport-jwt, keys from jwks-rsa) and its one verification step: from an Authorization
 * header value to a {@link VerifiedToken} or a typed {@link VerificationFailure}.
 *
 * Each verification is a run of passport-jwt for one token: its `jwtFromRequest` is the bearer
 * token (RFC 6750 syntax checked once), its key provider checks the header jsonwebtoken decoded
 * (`checkTokenHeader`: RS256 only, no `crit`, a `kid`) and takes the key from the issuer's key
 * set of the token's issuer (`JwksKeyStore`; no I/O while the set is fresh), jsonwebtoken checks the signature, and
 * {@link validate} the claims: times (`checkTokenTimes`), `iss`, `token_use`, the `client_id`
 * allow-list and the claim types; last, {@link admit}: not revoked. The token is decoded once,
 * by jsonwebtoken.
 *
 * `JwtAuthGuard` calls {@link verify} itself (no passport middleware on the request). The
 * strategy is also registered with passport as `JwtStrategy.strategyName`, so a guard of your
 * own can use it through `@nestjs/passport`; it runs the same step, and `req.user` is then the
 * {@link Principal}. One app per process owns that name (the last one started).
 *
 * @example
 * ```ts
 * // A guard of your own on the same verification (401 from passport on any refusal):
 * @Injectable()
 * export class CognitoGuard extends AuthGuard(JwtStrategy.strategyName) {}
 *
 * // Or the step itself:
 * const result = await strategy.verify(request.headers.authorization);
 * if ('error' in result) throw result.error; // a ResourceServerError: no_token, expired, ...
 * result.principal.clientId;
 * ```
 */
@Injectable()
export class JwtStrategy
  extends PassportStrategy(Strategy, STRATEGY_NAME)
  implements OnModuleDestroy
{
  /** The passport strategy name: `AuthGuard(JwtStrategy.strategyName)`. */
  static readonly strategyName = STRATEGY_NAME;
  private readonly Verification: VerificationClass;

  constructor(
    @Inject(RESOLVED_RESOURCE_SERVER_OPTIONS)
    private readonly options: ResolvedResourceServerOptions,
    private readonly keySets: IssuerKeySets,
    @Inject(REVOCATION_LIST) private readonly revocations: RevocationList | null,
  ) {
    super(passportJwtOptions(keySets));
    this.Verification = verificationsOf(this, options.clockToleranceSeconds * 1000);
  }

  onModuleDestroy(): void {
    // Another app of this process may have registered the name since.
    const registry = passport as unknown as { _strategy(name: string): unknown };
    if (registry._strategy(STRATEGY_NAME) === this) passport.unuse(STRATEGY_NAME);
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
      const run = new this.Verification(token, settle, crash);
      // passport-jwt's own step (this class overrides it for passport's requests, below).
      Strategy.prototype.authenticate.call(run, run as never);
    });
  }

  /**
   * What can change about a token once verified: whether it is revoked (`TokenRevokedError`;
   * `RevocationUnavailableError` before the revocation list first loaded). Checked after every
   * verification, and by `JwtAuthGuard` on every verified-token cache hit, so a cached token is
   * refused the moment it is revoked.
   */
  admit({ principal }: VerifiedToken): ResourceServerError | undefined {
    const verdict = this.revocations?.check(principal.clientId, principal.claims) ?? 'ok';
    if (verdict === 'ok') return undefined;
    return verdict === 'revoked'
      ? new TokenRevokedError('the token has been revoked')
      : new RevocationUnavailableError('the revocation list has not loaded yet');
  }

  /**
   * passport's entry, for a guard of your own: `this` is passport's copy of the strategy for
   * one request. The same verification step; a refusal fails with the typed error as passport's
   * `info` and its HTTP status, so a guard's `handleRequest` can answer it per RFC 6750.
   */
  override authenticate(req: { rawHeaders: string[] }): void {
    let header: string | undefined;
    try {
      header = authorizationHeader(req.rawHeaders);
    } catch (error) {
      this.failWith(error as ResourceServerError);
      return;
    }
    this.verify(header).then(
      (result) =>
        'error' in result ? this.failWith(result.error) : this.success(result.principal),
      (error: unknown) => this.error(error as Error),
    );
  }

  /**
   * What the signature does not prove: times, issuer, `token_use`, client, claim types. Called
   * by passport-jwt once the signature verified; returns the {@link Principal} (deeply frozen).
   */
  validate(run: Verification, decoded: Jwt): Principal {
    const payload: unknown = decoded.payload;
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw new TokenMalformedError('the token is malformed');
    }
    const claims = payload as Record<string, unknown>;
    const { tokenUse, clockToleranceSeconds } = this.options;
    const clientId = tokenUse === 'access' ? claims.client_id : claims.aud;
    if (typeof clientId === 'string') run.clientId = clientId;
    checkTokenTimes(claims, Date.now() / 1000, clockToleranceSeconds);
    // Trusted, and the issuer of the key set that verified the signature.
    const keySet = this.keySets.trusted(claims.iss);
    if (!keySet || keySet !== run.keySet) {
      throw new TokenIssuerError('the token issuer is not trusted');
    }
    // The configured string, not a copy per cached token.
    claims.iss = this.options.issuers.find((issuer) => issuer === claims.iss);
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
    return deepFreeze(principal);
  }

  /** passport's `fail`, with the typed error as `info` and the status it is answered with. */
  private failWith(error: ResourceServerError): void {
    this.fail(error, authErrorResponse(error, this.options.realm).status);
  }
}
