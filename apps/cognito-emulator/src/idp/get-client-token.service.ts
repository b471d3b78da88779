import { allowsClientTokenAuth, CLIENT_TOKEN_AUTH, type PoolClient } from '@app/fleet-auth';
import { Inject, Injectable } from '@nestjs/common';
import type { AwsRequestContext } from '../aws-json/aws-operation.js';
import {
  type InputOf,
  input,
  required,
  string,
  stringList,
  stringMap,
} from '../aws-json/aws-shape.js';
import { CognitoIdpError } from '../aws-json/cognito-idp.error.js';
import { CLIENT_ID, SCOPE } from '../aws-json/cognito-constraints.js';
import { ClientSecrets } from '../clients/client-secrets.js';
import { EmulatorMetrics, GET_CLIENT_TOKEN } from '../metrics/emulator-metrics.js';
import {
  ClientCredentialsTokens,
  ScopeNotAllowedError,
} from '../tokens/client-credentials-tokens.js';
import { TriggerError } from '../triggers/trigger.error.js';

/** GetClientToken's input shape, as the API reference constrains it (`Secret` never echoed). */
export const GetClientTokenInput = input({
  ClientId: required(string(CLIENT_ID)),
  Secret: required(string({ min: 1, sensitive: true })),
  Scopes: stringList({ ...SCOPE, maxItems: 50 }),
  ClientMetadata: stringMap(),
});

export interface GetClientTokenResponse {
  ClientAuthenticationResult: { AccessToken: string; ExpiresIn: number; TokenType: 'Bearer' };
}

/** The caller's SDK as Lambda events name it: `aws-sdk-js-3.1169.0`, else `aws-sdk-unknown-unknown`. */
export function awsSdkVersion(userAgent: string | undefined): string {
  const match = /\baws-sdk-([a-z0-9]+)\/([\w.-]+)/i.exec(userAgent ?? '');
  return match ? `aws-sdk-${match[1].toLowerCase()}-${match[2]}` : 'aws-sdk-unknown-unknown';
}

/**
 * GetClientToken: an M2M access token through the API, without a domain, for an app client
 * whose only explicit flow is `ALLOW_CLIENT_TOKEN_AUTH` and that presents its secret; the
 * same token, trigger and quota as the token endpoint's client-credentials grant. Not an IAM
 * operation: the client's secret is its authorization, so it is served without
 * COGNITO_EMULATOR_ADMIN. Errors as the API reference names them: an unknown client
 * `ResourceNotFoundException`, a wrong secret `NotAuthorizedException`, a client without the
 * flow or a scope it may not have `InvalidParameterException`, a failed trigger its Lambda
 * exception.
 */
@Injectable()
export class GetClientTokenService {
  constructor(
    @Inject(ClientSecrets) private readonly secrets: ClientSecrets,
    @Inject(ClientCredentialsTokens) private readonly tokens: ClientCredentialsTokens,
    @Inject(EmulatorMetrics) private readonly metrics: EmulatorMetrics,
  ) {}

  async getClientToken(
    request: InputOf<typeof GetClientTokenInput>,
    context: AwsRequestContext,
  ): Promise<GetClientTokenResponse> {
    try {
      const response = await this.issue(request, context);
      this.metrics.tokenRequest(request.ClientId, GET_CLIENT_TOKEN, 'success');
      return response;
    } catch (err) {
      if (err instanceof CognitoIdpError) {
        this.metrics.tokenRequest(request.ClientId, GET_CLIENT_TOKEN, err.type);
      }
      throw err;
    }
  }

  private async issue(
    request: InputOf<typeof GetClientTokenInput>,
    context: AwsRequestContext,
  ): Promise<GetClientTokenResponse> {
    const client = this.authenticate(request.ClientId, request.Secret);
    try {
      const { accessToken, expiresIn } = await this.tokens.issue(client, {
        scopes: request.Scopes,
        clientMetadata: request.ClientMetadata ?? {},
        awsSdkVersion: awsSdkVersion(context.userAgent),
      });
      return {
        ClientAuthenticationResult: {
          AccessToken: accessToken,
          ExpiresIn: expiresIn,
          TokenType: 'Bearer',
        },
      };
    } catch (err) {
      if (err instanceof ScopeNotAllowedError) {
        throw new CognitoIdpError('InvalidParameterException', err.message, { cause: err });
      }
      if (err instanceof TriggerError) {
        throw new CognitoIdpError(err.failure, err.message, { cause: err });
      }
      throw err;
    }
  }

  /** The client, once its secret is proven and its flow is GetClientToken's. */
  private authenticate(clientId: string, secret: string): PoolClient {
    const { known, authenticated } = this.secrets.check([{ id: clientId, secret }]);
    if (!known) {
      throw new CognitoIdpError(
        'ResourceNotFoundException',
        `User pool client ${clientId} does not exist.`,
      );
    }
    if (!authenticated) {
      throw new CognitoIdpError(
        'NotAuthorizedException',
        `Invalid client secret for client ${clientId}.`,
      );
    }
    if (!allowsClientTokenAuth(authenticated)) {
      throw new CognitoIdpError(
        'InvalidParameterException',
        authenticated.explicitAuthFlows.includes(CLIENT_TOKEN_AUTH)
          ? `${CLIENT_TOKEN_AUTH} must be the client's only explicit auth flow`
          : `${CLIENT_TOKEN_AUTH} flow not enabled for this client`,
      );
    }
    return authenticated;
  }
}
