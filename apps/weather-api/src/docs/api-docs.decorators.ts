import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOAuth2,
  ApiServiceUnavailableResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthErrorDto } from './api-docs.dto.js';

/** Security scheme names in the OpenAPI document. */
export const OAUTH2_SCHEME = 'oauth2';
export const BEARER_SCHEME = 'bearer';

/**
 * Documents what the resource server adds to a protected operation: the security
 * requirement (the oauth2 client-credentials scheme with `scopes`, or a pasted bearer
 * token) and its error answers (400, 401, 403 when scopes are required, 503).
 */
export function ApiProtected(...scopes: string[]) {
  return applyDecorators(
    ApiOAuth2(scopes, OAUTH2_SCHEME),
    ApiBearerAuth(BEARER_SCHEME),
    ApiBadRequestResponse({
      description: 'Malformed Authorization header (invalid_request)',
      type: AuthErrorDto,
    }),
    ApiUnauthorizedResponse({
      description:
        'No token (unauthorized), or an invalid, expired or untrusted one (invalid_token); see WWW-Authenticate',
      type: AuthErrorDto,
    }),
    ...(scopes.length > 0
      ? [
          ApiForbiddenResponse({
            description: `The token lacks ${scopes.join(' ')} (insufficient_scope)`,
            type: AuthErrorDto,
          }),
        ]
      : []),
    ApiServiceUnavailableResponse({
      description: "The issuer's key set is unreachable (temporarily_unavailable); see Retry-After",
      type: AuthErrorDto,
    }),
  );
}
