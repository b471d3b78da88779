import { createLocalJWKSet, type JWK, jwtVerify } from 'jose';
import type { RefreshTokenStore } from '../idp/refresh-tokens.js';
import type { KeyStore } from '../keys/key-store.js';
import type { PoolStore } from '../pool/pool-store.js';
import { OAuthError } from './oauth.error.js';

/** What `GET /oauth2/userInfo` answers, as Cognito does (`email_verified` is a string there). */
export interface UserInfo {
  sub: string;
  username: string;
  email?: string;
  email_verified?: 'true';
}

/**
 * `GET|POST /oauth2/userInfo`: the attributes of the user a user access token was issued
 * for. Client-credentials tokens, other issuers' tokens, expired tokens and the tokens of a
 * revoked sign-in are `invalid_token` (401).
 */
export class UserInfoService {
  private verifier:
    { jwks: { keys: JWK[] }; get: ReturnType<typeof createLocalJWKSet> } | undefined;

  constructor(
    private readonly pool: PoolStore,
    private readonly keys: KeyStore,
    private readonly refreshTokens: RefreshTokenStore,
    private readonly issuer: () => string,
  ) {}

  async userInfo(authorization: string | undefined): Promise<UserInfo> {
    const match = /^Bearer[ ]+([\w-]+\.[\w-]+\.[\w-]+)[ ]*$/i.exec(authorization ?? '');
    if (!match) {
      throw new OAuthError(
        'invalid_request',
        'send the access token as "Authorization: Bearer <token>"',
      );
    }
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(match[1], this.keySet(), {
        issuer: this.issuer(),
        algorithms: ['RS256'],
      }));
    } catch {
      throw new OAuthError('invalid_token', 'the access token is invalid or expired');
    }
    const username = claims.username;
    if (claims.token_use !== 'access' || typeof username !== 'string') {
      throw new OAuthError('invalid_token', 'userInfo takes a user access token');
    }
    if (typeof claims.origin_jti === 'string' && this.refreshTokens.isRevoked(claims.origin_jti)) {
      throw new OAuthError('invalid_token', 'the access token has been revoked');
    }
    const user = this.pool.user(username);
    if (!user) throw new OAuthError('invalid_token', 'the user no longer exists');
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
