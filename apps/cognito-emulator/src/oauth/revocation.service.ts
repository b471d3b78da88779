import { decodeJwt } from 'jose';
import type { RefreshTokenStore } from '../idp/refresh-tokens.js';
import type { PoolStore } from '../pool/pool-store.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { OAuthError } from './oauth.error.js';

/** True when `token` is one of this issuer's JWTs (an access or ID token). */
function isIssuedJwt(token: string, issuer: string): boolean {
  try {
    const claims = decodeJwt(token);
    return claims.iss === issuer && (claims.token_use === 'access' || claims.token_use === 'id');
  } catch {
    return false;
  }
}

/**
 * `POST /oauth2/revoke` as Cognito implements RFC 7009: the client authenticates as at the
 * token endpoint, only refresh tokens can be revoked (access and ID tokens:
 * `unsupported_token_type`), and revoking one also revokes the access tokens issued from its
 * sign-in. An unknown token is answered 200, as RFC 7009 §2.2 requires.
 */
export class RevocationService {
  private readonly authenticator: ClientAuthenticator;

  constructor(
    private readonly pool: PoolStore,
    private readonly refreshTokens: RefreshTokenStore,
    private readonly issuer: () => string,
  ) {
    this.authenticator = new ClientAuthenticator(pool);
  }

  revoke(form: Map<string, string>, authorization: string | undefined): void {
    const client = this.authenticator.authenticate({
      authorization,
      bodyClientId: form.get('client_id'),
      bodyClientSecret: form.get('client_secret'),
    });
    const token = form.get('token');
    if (token === undefined) {
      throw new OAuthError('invalid_request', 'token is required', client.clientId);
    }
    if (!client.enableTokenRevocation) {
      throw new OAuthError(
        'invalid_request',
        'token revocation is not enabled for this app client',
        client.clientId,
      );
    }
    if (isIssuedJwt(token, this.issuer())) {
      throw new OAuthError(
        'unsupported_token_type',
        'only refresh tokens can be revoked',
        client.clientId,
      );
    }
    const found = this.refreshTokens.lookup(token);
    if (!found.ok) return;
    if (found.grant.clientId !== client.clientId) {
      throw new OAuthError(
        'unauthorized_client',
        'the token was not issued to this client',
        client.clientId,
      );
    }
    this.refreshTokens.revoke(found.grant, this.pool.maxTokenValiditySeconds());
  }
}
