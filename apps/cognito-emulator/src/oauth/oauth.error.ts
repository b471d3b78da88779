export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope';

/**
 * An RFC 6749 §5.2 token-endpoint error. Rendered as 400
 * `{"error","error_description"}` (Cognito answers 400 even for `invalid_client`).
 */
export class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    /** The client id when it names a known client; only known ids go into metric labels. */
    readonly clientId?: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${description}`, options);
    this.name = 'OAuthError';
  }
}
