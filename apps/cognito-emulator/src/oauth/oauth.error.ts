export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'unsupported_token_type'
  | 'invalid_token';

/**
 * An OAuth error of the token, revocation or userInfo endpoint (RFC 6749 §5.2, RFC 7009
 * §2.2.1, RFC 6750 §3.1). Rendered as `{"error","error_description"}` with 400 (Cognito
 * answers 400 even for `invalid_client`), or 401 with a Bearer challenge for `invalid_token`.
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

  get status(): 400 | 401 {
    return this.code === 'invalid_token' ? 401 : 400;
  }
}
