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
 * §2.2.1, RFC 6750 §3.1). Rendered as `{"error","error_description"}` with 400 (the token
 * endpoint answers 400 even for `invalid_client`, as Cognito does), or 401: with a Bearer
 * challenge for `invalid_token`, and where Cognito documents it (the revocation endpoint's
 * `invalid_client`).
 */
export class OAuthError extends Error {
  readonly status: 400 | 401;

  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    /** The client id when it names a known client; only known ids go into metric labels. */
    readonly clientId?: string,
    options?: { cause?: unknown; status?: 400 | 401 },
  ) {
    super(`${code}: ${description}`, options);
    this.name = 'OAuthError';
    this.status = options?.status ?? (code === 'invalid_token' ? 401 : 400);
  }
}
