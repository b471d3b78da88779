// Cognito's rules for an app client's settings, in one place: the definition's schema and the
// emulator's control plane (CreateUserPoolClient, UpdateUserPoolClient) both check them here,
// each reporting a violation in its own words (a field path; a Cognito exception).

/** Cognito's `TokenValidityUnits` values. */
export const TIME_UNITS = ['seconds', 'minutes', 'hours', 'days'] as const;
/** One of Cognito's `TokenValidityUnits` values. */
export type TimeUnit = (typeof TIME_UNITS)[number];
/** Seconds per time unit. */
export const SECONDS_PER: Readonly<Record<TimeUnit, number>> = {
  seconds: 1,
  minutes: 60,
  hours: 3600,
  days: 86400,
};

/** The tokens whose lifetime an app client sets: the keys of `TokenValidityUnits`, camelCased. */
export type TokenKind = 'accessToken' | 'idToken' | 'refreshToken';

/**
 * The explicit auth flow of `GetClientToken` (M2M tokens through the API). Cognito's API
 * reference: the flow "is mutually exclusive with user authentication flows. It must be the
 * only authentication flow that you configure for the app client", and the client needs a
 * secret.
 */
export const CLIENT_TOKEN_AUTH = 'ALLOW_CLIENT_TOKEN_AUTH';

/** Cognito's `ExplicitAuthFlows` values (the legacy ones without `ALLOW_` excepted). */
export const EXPLICIT_AUTH_FLOWS = [
  'ALLOW_USER_PASSWORD_AUTH',
  'ALLOW_ADMIN_USER_PASSWORD_AUTH',
  'ALLOW_USER_SRP_AUTH',
  'ALLOW_REFRESH_TOKEN_AUTH',
  'ALLOW_CUSTOM_AUTH',
  'ALLOW_USER_AUTH',
  CLIENT_TOKEN_AUTH,
] as const;
/** One of {@link EXPLICIT_AUTH_FLOWS}. */
export type ExplicitAuthFlow = (typeof EXPLICIT_AUTH_FLOWS)[number];

/** The scopes every user pool has, beside its resource servers' `identifier/name` scopes. */
export const STANDARD_SCOPES: readonly string[] = [
  'openid',
  'email',
  'phone',
  'profile',
  'aws.cognito.signin.user.admin',
];

/**
 * Cognito's patterns (the API reference's `Pattern:`, as its validation messages quote them).
 * Client ids also take `-` and `.`, so the definition's may stay readable; Cognito generates
 * `[a-z0-9]` ones.
 */
export const COGNITO_PATTERNS = {
  clientId: '[\\w.+-]+',
  name: '[\\w\\s+=,.@-]+',
  resourceServerIdentifier: '[\\x21\\x23-\\x5B\\x5D-\\x7E]+',
  /** `ScopeType`: RFC 6749 §3.3's scope-token (`identifier/name`, or a standard scope). */
  scope: '[\\x21\\x23-\\x5B\\x5D-\\x7E]+',
  scopeName: '[\\x21\\x23-\\x2E\\x30-\\x5B\\x5D-\\x7E]+',
} as const;

/**
 * How many active secrets Cognito keeps per app client (`AddUserPoolClientSecret`: "up to 2
 * active secrets per app client for zero-downtime credential rotation").
 */
export const MAX_CLIENT_SECRETS = 2;

/**
 * An app client's secret or secrets as the definition writes them: one, a list of at most
 * {@link MAX_CLIENT_SECRETS} (oldest first), or null for a public client.
 */
export type ClientSecretSetting = string | readonly string[] | null;

/**
 * The active secrets of a client, oldest first; none for a public client.
 *
 * @example
 * ```ts
 * clientSecretsOf({ clientSecret: ['old-secret', 'new-secret'] }); // ['old-secret', 'new-secret']
 * clientSecretsOf({ clientSecret: null }); // []
 * ```
 */
export function clientSecretsOf(c: { clientSecret: ClientSecretSetting }): readonly string[] {
  if (c.clientSecret === null) return [];
  return typeof c.clientSecret === 'string' ? [c.clientSecret] : c.clientSecret;
}

/** A regular expression that the whole value must match: `^(?:pattern)$`. */
export function wholeMatch(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

/** An app client's token lifetimes, as Cognito's `UserPoolClient` holds them. */
export interface TokenValidity {
  accessTokenValidity: number;
  idTokenValidity: number;
  refreshTokenValidity: number;
  tokenValidityUnits: Readonly<Record<TokenKind, TimeUnit>>;
}

/** The settings Cognito checks together when an app client is created or changed. */
export interface AppClientSettings extends TokenValidity {
  clientSecret: ClientSecretSetting;
  allowedOAuthFlows: readonly ('client_credentials' | 'code' | 'implicit')[];
  explicitAuthFlows: readonly string[];
  allowedOAuthScopes: readonly string[];
  callbackURLs: readonly string[];
}

/** A rule of Cognito's that an app client's settings break. */
export interface AppClientViolation {
  /**
   * Which kind of check failed; the control plane answers `tokenValidity`, `authFlow` and
   * `callbackURLs` with `InvalidParameterException`, `oauthFlow` with
   * `InvalidOAuthFlowException`.
   */
  rule: 'tokenValidity' | 'oauthFlow' | 'authFlow' | 'callbackURLs';
  /** The setting at fault, by its name in the definition (Cognito's, camelCased). */
  field: keyof AppClientSettings;
  message: string;
}

const LIFETIMES: Record<TokenKind, { min: number; max: number; range: string }> = {
  accessToken: { min: 300, max: 86400, range: '5 minutes and 1 day' },
  idToken: { min: 300, max: 86400, range: '5 minutes and 1 day' },
  refreshToken: { min: 3600, max: 3650 * 86400, range: '60 minutes and 3650 days' },
};

/**
 * A token's lifetime in seconds.
 *
 * @example
 * ```ts
 * tokenValiditySeconds(client, 'accessToken'); // expires_in of its access tokens
 * ```
 */
export function tokenValiditySeconds(c: TokenValidity, token: TokenKind): number {
  return c[`${token}Validity`] * SECONDS_PER[c.tokenValidityUnits[token]];
}

function tokenValidityViolations(c: TokenValidity): AppClientViolation[] {
  const out: AppClientViolation[] = [];
  const refresh = tokenValiditySeconds(c, 'refreshToken');
  for (const token of ['accessToken', 'idToken', 'refreshToken'] as const) {
    const field = `${token}Validity` as const;
    const seconds = tokenValiditySeconds(c, token);
    const { min, max, range } = LIFETIMES[token];
    // The unit is in the message: an omitted one is Cognito's default (hours; days for refresh).
    const given = `${c[field]} ${c.tokenValidityUnits[token]}`;
    if (seconds < min || seconds > max) {
      out.push({ rule: 'tokenValidity', field, message: `must be between ${range} (is ${given})` });
    } else if (token !== 'refreshToken' && refresh >= 3600 && seconds > refresh) {
      out.push({
        rule: 'tokenValidity',
        field,
        message: `must not be longer than the refresh token validity (is ${given})`,
      });
    }
  }
  return out;
}

/**
 * Every rule of Cognito's that `c` breaks: token lifetimes (access and ID 5 minutes to 1 day,
 * refresh 60 minutes to 3650 days, neither access nor ID longer than refresh);
 * `client_credentials` alone, with a secret and only custom scopes; `ALLOW_CLIENT_TOKEN_AUTH`
 * as the only explicit flow and with no user sign-in (`code`, `implicit`), with a secret and
 * only custom scopes; `code` and `implicit` with a callback URL. Scopes are checked against
 * the pool by the caller ({@link scopeExists}).
 *
 * @example
 * ```ts
 * for (const v of appClientViolations(client)) console.log(`${v.field}: ${v.message}`);
 * ```
 */
export function appClientViolations(c: AppClientSettings): AppClientViolation[] {
  const out = tokenValidityViolations(c);
  const flows = c.allowedOAuthFlows;
  const userSignIn = flows.includes('code') || flows.includes('implicit');
  const clientCredentials = flows.includes('client_credentials');
  const clientTokenAuth = c.explicitAuthFlows.includes(CLIENT_TOKEN_AUTH);
  if (clientCredentials && userSignIn) {
    out.push({
      rule: 'oauthFlow',
      field: 'allowedOAuthFlows',
      message: 'client_credentials cannot be combined with code or implicit',
    });
  }
  if (clientTokenAuth) {
    const auth = (field: AppClientViolation['field'], message: string) =>
      out.push({ rule: 'authFlow', field, message: `${CLIENT_TOKEN_AUTH} ${message}` });
    if (c.explicitAuthFlows.length > 1) {
      auth('explicitAuthFlows', 'must be the only explicit auth flow (no user authentication)');
    }
    if (userSignIn) auth('allowedOAuthFlows', 'cannot be combined with code or implicit');
  }
  // The machine flows' shared needs, reported once, under the OAuth flow when both are set.
  const machine = clientCredentials
    ? 'client_credentials'
    : clientTokenAuth
      ? CLIENT_TOKEN_AUTH
      : '';
  if (machine !== '') {
    const rule = clientCredentials ? 'oauthFlow' : 'authFlow';
    const need = (field: AppClientViolation['field'], message: string) =>
      out.push({ rule, field, message: `${machine} ${message}` });
    if (c.clientSecret === null) need('clientSecret', 'needs a client secret');
    if (c.allowedOAuthScopes.length === 0) {
      need('allowedOAuthScopes', 'needs at least one custom scope');
    } else if (c.allowedOAuthScopes.some((s) => STANDARD_SCOPES.includes(s))) {
      need('allowedOAuthScopes', `takes custom scopes only, not ${STANDARD_SCOPES.join(', ')}`);
    }
  }
  if (userSignIn && c.callbackURLs.length === 0) {
    out.push({
      rule: 'callbackURLs',
      field: 'callbackURLs',
      message: 'code and implicit need at least one callback URL',
    });
  }
  return out;
}

/**
 * Whether `GetClientToken` may issue tokens to `c`: a client secret, and
 * `ALLOW_CLIENT_TOKEN_AUTH` as its only explicit auth flow. The control plane and the
 * definition never create another kind, but a state file may hold a client written before.
 */
export function allowsClientTokenAuth(
  c: Pick<AppClientSettings, 'clientSecret' | 'explicitAuthFlows'>,
): boolean {
  return (
    c.clientSecret !== null &&
    c.explicitAuthFlows.length === 1 &&
    c.explicitAuthFlows[0] === CLIENT_TOKEN_AUTH
  );
}

/**
 * Whether `scope` is a standard scope or one that a resource server declares
 * (`identifier/name`, split at the last `/`, as identifiers may be URLs).
 */
export function scopeExists(
  scope: string,
  resourceServer: (identifier: string) => { scopes: readonly { name: string }[] } | undefined,
): boolean {
  if (STANDARD_SCOPES.includes(scope)) return true;
  const slash = scope.lastIndexOf('/');
  if (slash <= 0) return false;
  const name = scope.slice(slash + 1);
  return resourceServer(scope.slice(0, slash))?.scopes.some((s) => s.name === name) ?? false;
}
