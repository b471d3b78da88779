import type { PoolClient } from '@app/fleet-auth';
import { Inject, Injectable } from '@nestjs/common';
import { PoolStore } from '../pool/pool-store.js';
import {
  ClientCredentialsTokens,
  ScopeNotAllowedError,
} from '../tokens/client-credentials-tokens.js';
import { TriggerError } from '../triggers/trigger.error.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { OAuthError } from './oauth.error.js';

export interface TokenResponse {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
}

/** What Cognito's Lambda events say of a caller that is not an AWS SDK. */
const NO_SDK = 'aws-sdk-unknown-unknown';

/**
 * `aws_client_metadata`: the client metadata of a client-credentials request, "the client
 * metadata object URL-encoded (`x-www-form-urlencoded`) to string" (developer guide, "Scopes,
 * M2M, and resource servers"): a JSON object of strings, as `ClientMetadata` is in the API.
 */
export function parseClientMetadata(
  value: string | undefined,
  clientId: string,
): Record<string, string> {
  if (value === undefined) return {};
  let metadata: unknown;
  try {
    metadata = JSON.parse(value);
  } catch (cause) {
    throw new OAuthError('invalid_request', 'aws_client_metadata is not JSON', clientId, { cause });
  }
  const isObject = typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata);
  if (!isObject || !Object.values(metadata as object).every((v) => typeof v === 'string')) {
    throw new OAuthError(
      'invalid_request',
      'aws_client_metadata must be a JSON object of strings',
      clientId,
    );
  }
  return metadata as Record<string, string>;
}

/** The token endpoint's logic: authenticate, check grant and scopes, then the one M2M issuance. */
@Injectable()
export class TokenService {
  constructor(
    @Inject(PoolStore) private readonly pool: PoolStore,
    @Inject(ClientAuthenticator) private readonly authenticator: ClientAuthenticator,
    @Inject(ClientCredentialsTokens) private readonly tokens: ClientCredentialsTokens,
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
    const clientMetadata = parseClientMetadata(form.get('aws_client_metadata'), client.clientId);
    const scope = form.get('scope');
    try {
      const { accessToken, expiresIn } = await this.tokens.issue(client, {
        scopes: scope?.split(' ').filter((s) => s !== ''),
        clientMetadata,
        awsSdkVersion: NO_SDK,
      });
      return {
        client,
        response: { access_token: accessToken, expires_in: expiresIn, token_type: 'Bearer' },
      };
    } catch (err) {
      if (err instanceof ScopeNotAllowedError) {
        throw new OAuthError('invalid_scope', err.message, err.clientId, { cause: err });
      }
      // Cognito's OAuth endpoints answer a failed trigger invalid_request, with the trigger's
      // error as the description (as its login pages do: "PreSignUp failed with error ...").
      if (err instanceof TriggerError) {
        throw new OAuthError('invalid_request', err.message, client.clientId, { cause: err });
      }
      throw err;
    }
  }
}
