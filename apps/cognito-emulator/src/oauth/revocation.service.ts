import type { PoolClient } from '@app/fleet-auth';
import { Inject, Injectable } from '@nestjs/common';
import { decodeJwt } from 'jose';
import { PoolStore } from '../pool/pool-store.js';
import { RefreshTokenStore } from '../refresh-tokens/refresh-token.store.js';
import { EmulatorRuntime } from '../tokens/emulator-runtime.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { OAuthError } from './oauth.error.js';

/** True when `token` is one of this pool's JWTs (an access or ID token), of either issuer form. */
function isIssuedJwt(token: string, issuers: readonly string[]): boolean {
  try {
    const claims = decodeJwt(token);
    return (
      issuers.includes(String(claims.iss)) &&
      (claims.token_use === 'access' || claims.token_use === 'id')
    );
  } catch {
    return false;
  }
}

/**
 * `POST /oauth2/revoke` as Cognito implements RFC 7009 ("Revoke endpoint", Amazon Cognito
 * developer guide): the client authenticates as at the token endpoint, but bad client
 * credentials are 401 `invalid_client` here; only refresh tokens can be revoked (access and
 * ID tokens: `unsupported_token_type`); no token, or revocation disabled for the client,
 * `invalid_request`; an unknown or already revoked token 200. Revoking a refresh token also
 * revokes the access tokens issued from its sign-in.
 */
@Injectable()
export class RevocationService {
  constructor(
    @Inject(PoolStore) private readonly pool: PoolStore,
    @Inject(RefreshTokenStore) private readonly refreshTokens: RefreshTokenStore,
    @Inject(EmulatorRuntime) private readonly runtime: EmulatorRuntime,
    @Inject(ClientAuthenticator) private readonly authenticator: ClientAuthenticator,
  ) {}

  revoke(form: Map<string, string>, authorization: string | undefined): void {
    const client = this.authenticate(form, authorization);
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
    if (isIssuedJwt(token, this.runtime.issuers)) {
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

  private authenticate(form: Map<string, string>, authorization: string | undefined): PoolClient {
    try {
      return this.authenticator.authenticate(form, authorization);
    } catch (err) {
      if (err instanceof OAuthError && err.code === 'invalid_client') {
        throw new OAuthError(err.code, err.description, err.clientId, { cause: err, status: 401 });
      }
      throw err;
    }
  }
}
