import { Inject, Injectable } from '@nestjs/common';
import { createLocalJWKSet, type JWK, jwtVerify } from 'jose';
import { KeyStore } from '../keys/key-store.js';
import { PoolStore } from '../pool/pool-store.js';
import { RefreshTokenStore } from '../refresh-tokens/refresh-token.store.js';
import { EmulatorRuntime } from '../tokens/emulator-runtime.js';
import { OAuthError } from './oauth.error.js';

/** What `GET /oauth2/userInfo` answers, as Cognito does (`email_verified` is a string there). */
export interface UserInfo {
  sub: string;
  username: string;
  email?: string;
  email_verified?: 'true';
}

/** Cognito's descriptions ("UserInfo endpoint", Amazon Cognito developer guide). */
const BAD_REQUEST = 'Bad OAuth2 request at UserInfo Endpoint';
const INVALID_TOKEN =
  'Access token is expired, disabled, or deleted, or the user has globally signed out.';
const NO_OPENID = 'Access token does not contain openid scope';

/**
 * `GET|POST /oauth2/userInfo` as Cognito answers it: the attributes of the user an access
 * token with the `openid` scope was issued for. Cognito's userInfo refuses the access tokens
 * of InitiateAuth, which carry only `aws.cognito.signin.user.admin`, and so does this one:
 * 401 `invalid_token` "Access token does not contain openid scope" (the emulator has no
 * authorization-code flow, so it issues no token this endpoint accepts). Other issuers',
 * expired, ID, and revoked sign-ins' tokens are 401 `invalid_token` too; no bearer token is
 * 400 `invalid_request`.
 */
@Injectable()
export class UserInfoService {
  private verifier:
    { jwks: { keys: JWK[] }; get: ReturnType<typeof createLocalJWKSet> } | undefined;

  constructor(
    @Inject(PoolStore) private readonly pool: PoolStore,
    @Inject(KeyStore) private readonly keys: KeyStore,
    @Inject(RefreshTokenStore) private readonly refreshTokens: RefreshTokenStore,
    @Inject(EmulatorRuntime) private readonly runtime: EmulatorRuntime,
  ) {}

  async userInfo(authorization: string | undefined): Promise<UserInfo> {
    const match = /^Bearer[ ]+([\w-]+\.[\w-]+\.[\w-]+)[ ]*$/i.exec(authorization ?? '');
    if (!match) throw new OAuthError('invalid_request', BAD_REQUEST);
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(match[1], this.keySet(), {
        issuer: [...this.runtime.issuers],
        algorithms: ['RS256'],
      }));
    } catch {
      throw new OAuthError('invalid_token', INVALID_TOKEN);
    }
    const revoked =
      typeof claims.origin_jti === 'string' && this.refreshTokens.isRevoked(claims.origin_jti);
    if (claims.token_use !== 'access' || revoked) {
      throw new OAuthError('invalid_token', INVALID_TOKEN);
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (!scopes.includes('openid')) throw new OAuthError('invalid_token', NO_OPENID);
    const user = typeof claims.username === 'string' ? this.pool.user(claims.username) : undefined;
    if (!user) throw new OAuthError('invalid_token', INVALID_TOKEN);
    return {
      sub: String(claims.sub),
      ...(user.email && { email_verified: 'true' as const, email: user.email }),
      username: user.username,
    };
  }

  /** A local key set over the published keys, rebuilt when they change (rotation). */
  private keySet(): ReturnType<typeof createLocalJWKSet> {
    const jwks = this.keys.jwks();
    if (this.verifier?.jwks !== jwks) this.verifier = { jwks, get: createLocalJWKSet(jwks) };
    return this.verifier.get;
  }
}
