import { tokenValiditySeconds, type PoolClient } from '@app/fleet-auth';
import { Inject, Injectable } from '@nestjs/common';
import { PoolStore } from '../pool/pool-store.js';
import { Clock } from '../shared/clock.js';
import { EmulatorRuntime } from '../tokens/emulator-runtime.js';
import { clientCredentialsClaims, TokenSigner } from '../tokens/token-signer.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { OAuthError } from './oauth.error.js';

export interface TokenResponse {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
}

/** The token endpoint's logic: authenticate, check grant and scopes, sign. */
@Injectable()
export class TokenService {
  constructor(
    @Inject(PoolStore) private readonly pool: PoolStore,
    @Inject(TokenSigner) private readonly signer: TokenSigner,
    @Inject(EmulatorRuntime) private readonly runtime: EmulatorRuntime,
    @Inject(ClientAuthenticator) private readonly authenticator: ClientAuthenticator,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async token(
    form: Map<string, string>,
    authorization: string | undefined,
  ): Promise<{
    client: PoolClient;
    response: TokenResponse;
  }> {
    const client = this.authenticator.authenticate(form, authorization);
    const grantType = form.get('grant_type');
    if (grantType === undefined) {
      throw new OAuthError('invalid_request', 'grant_type is required', client.clientId);
    }
    if (grantType !== 'client_credentials') {
      throw new OAuthError(
        'unsupported_grant_type',
        `grant_type "${grantType}" is not supported; use client_credentials`,
        client.clientId,
      );
    }
    if (client.clientSecret === null || !client.allowedOAuthFlows.includes('client_credentials')) {
      throw new OAuthError(
        'unauthorized_client',
        'this client may not use the client_credentials grant',
        client.clientId,
      );
    }
    // As Cognito, for a client created with AllowedOAuthFlows but not
    // AllowedOAuthFlowsUserPoolClient (the SDK and CloudFormation accept that).
    if (!this.pool.clientMeta(client.clientId)?.allowedOAuthFlowsUserPoolClient) {
      throw new OAuthError(
        'invalid_grant',
        'OAuth flows are not enabled for this app client (AllowedOAuthFlowsUserPoolClient)',
        client.clientId,
      );
    }
    const scopes = this.grantedScopes(client, form.get('scope'));
    const now = this.clock.nowSeconds();
    const validitySeconds = tokenValiditySeconds(client, 'accessToken');
    const claims = clientCredentialsClaims({
      issuer: this.runtime.issuer,
      clientId: client.clientId,
      scopes,
      validitySeconds,
      now,
    });
    return {
      client,
      response: {
        access_token: await this.signer.sign(claims),
        expires_in: validitySeconds,
        token_type: 'Bearer',
      },
    };
  }

  private grantedScopes(client: PoolClient, requested: string | undefined): string[] {
    if (client.allowedOAuthScopes.length === 0) {
      throw new OAuthError('invalid_scope', 'this client is allowed no scope', client.clientId);
    }
    if (requested === undefined || requested.trim() === '') return client.allowedOAuthScopes;
    const scopes = [...new Set(requested.split(' ').filter((s) => s !== ''))];
    const notAllowed = scopes.filter((s) => !client.allowedOAuthScopes.includes(s));
    if (notAllowed.length > 0) {
      throw new OAuthError(
        'invalid_scope',
        `scope not allowed for this client: ${notAllowed.join(' ')}`,
        client.clientId,
      );
    }
    return scopes;
  }
}
