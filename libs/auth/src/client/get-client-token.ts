import type { ClientMetadata } from './client-metadata.js';
import {
  ISSUER_ERROR,
  printableDescription,
  type TokenTransport,
  type TransportVerdict,
} from './token-request.js';

const TARGET = 'AWSCognitoIdentityProviderService.GetClientToken';

export interface GetClientTokenSettings {
  /** The Cognito API endpoint, e.g. `https://cognito-idp.eu-west-1.amazonaws.com/`. */
  endpoint: string;
  clientId: string;
  scopes: readonly string[];
  /** Sent as `ClientMetadata` for a pre token generation trigger. */
  metadata?: ClientMetadata;
}

/**
 * Cognito's errors and the OAuth errors they mean, so a client on either transport fails
 * the same way: `code` of `TokenEndpointError`, never retried.
 */
const REFUSALS: Readonly<Record<string, string>> = {
  // A wrong or deleted secret, a client without ALLOW_CLIENT_TOKEN_AUTH.
  NotAuthorizedException: 'invalid_client',
  // No such app client (the token endpoint answers an unknown client the same way).
  ResourceNotFoundException: 'invalid_client',
  // A scope the client may not have or that does not exist (also a client whose flows are
  // not ALLOW_CLIENT_TOKEN_AUTH alone: the description says which).
  InvalidParameterException: 'invalid_scope',
  ScopeDoesNotExistException: 'invalid_scope',
  // The pool's pre token generation trigger failed: the token endpoint says invalid_request.
  UserLambdaValidationException: 'invalid_request',
  UnexpectedLambdaException: 'invalid_request',
  InvalidLambdaResponseException: 'invalid_request',
  // The operation refused to this client or pool (WAF, a Region without it).
  ForbiddenException: 'unauthorized_client',
  OperationNotEnabledException: 'unauthorized_client',
};

/** Cognito's ways of saying "too many requests": retried with backoff, like a 429. */
const THROTTLES: ReadonlySet<string> = new Set(['TooManyRequestsException']);

/**
 * The error's name in an AWS JSON 1.1 answer: `__type`, which may carry a namespace
 * (`com.amazonaws...#NotAuthorizedException`) or a suffix (`...:http://internal...`).
 */
function awsErrorType(json: Record<string, unknown>): string | undefined {
  const type = json.__type;
  if (typeof type !== 'string') return undefined;
  const name = type.slice(type.lastIndexOf('#') + 1).split(':')[0];
  return ISSUER_ERROR.test(name) ? name : undefined;
}

/**
 * Cognito's `GetClientToken` (AWS JSON 1.1: `POST /` with `X-Amz-Target`), for an app client
 * whose only explicit flow is `ALLOW_CLIENT_TOKEN_AUTH`: `ClientId`, `Secret`, `Scopes`
 * (omitted: every scope the client is allowed), `ClientMetadata`. Sent on the client's own
 * axios, like the token endpoint, rather than through the AWS SDK: the operation takes no
 * SigV4 signature (Cognito evaluates no IAM policy for it; the SDK would sign it, and fail
 * without AWS credentials), and so it shares the token endpoint's deadlines, size cap and
 * retries without loading the SDK's modules. Errors map to the token endpoint's OAuth codes
 * ({@link REFUSALS}); the AWS name stays in the error's `cause`.
 */
export function getClientTokenTransport(settings: GetClientTokenSettings): TokenTransport {
  const { clientId, scopes, metadata } = settings;
  const url = new URL(settings.endpoint).href;
  const headers = {
    'Content-Type': 'application/x-amz-json-1.1',
    'X-Amz-Target': TARGET,
    Accept: 'application/json',
  };
  return {
    kind: 'api',
    source: `${TARGET} ${url}`,
    request(secret) {
      const body = JSON.stringify({
        ClientId: clientId,
        Secret: secret,
        ...(scopes.length > 0 && { Scopes: scopes }),
        ...(metadata && { ClientMetadata: metadata }),
      });
      return { url, body, headers };
    },
    read(status, data): TransportVerdict {
      // axios has parsed any JSON body already: text here is not JSON.
      if (typeof data !== 'object' || data === null) return { kind: 'unknown' };
      const answer = data as Record<string, unknown>;
      if (status >= 200 && status < 300) {
        const result = answer.ClientAuthenticationResult;
        if (typeof result !== 'object' || result === null) return { kind: 'unknown' };
        const { AccessToken, ExpiresIn, TokenType } = result as Record<string, unknown>;
        return {
          kind: 'token',
          accessToken: AccessToken,
          expiresIn: ExpiresIn,
          tokenType: TokenType,
        };
      }
      const type = awsErrorType(answer);
      if (type === undefined) return { kind: 'unknown' };
      if (THROTTLES.has(type)) return { kind: 'throttled' };
      const description = printableDescription(answer.message ?? answer.Message);
      return {
        kind: 'refused',
        code: REFUSALS[type] ?? 'unexpected_status',
        error: type,
        description,
      };
    },
  };
}
