import { z } from 'zod';

const VALIDITY = 'must be between 300 and 86400';
// RFC 6749 scope-token characters, without "/" (it separates server and scope).
const SCOPE_NAME = /^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+$/;
const IDENTIFIER = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
// Cognito's shape, which aws-jwt-verify's CognitoJwtVerifier also checks: an AWS region
// ("us-east-1", "ap-southeast-2", "us-gov-west-1"), "_", then letters and digits.
const USER_POOL_ID = /^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$/;

export const ResourceServerSchema = z.strictObject({
  identifier: z.string().regex(IDENTIFIER, 'must be a non-empty string without spaces'),
  name: z.string().min(1),
  scopes: z.array(
    z.strictObject({
      name: z.string().regex(SCOPE_NAME, 'must be a non-empty string without spaces or "/"'),
      description: z.string().default(''),
    }),
  ),
});

export const TIME_UNIT = z.enum(['seconds', 'minutes', 'hours', 'days']);
/** Seconds per Cognito `TokenValidityUnits` value. */
export const UNIT_SECONDS = { seconds: 1, minutes: 60, hours: 3600, days: 86400 } as const;
export type TimeUnit = keyof typeof UNIT_SECONDS;

export const ClientSchema = z.strictObject({
  clientId: z
    .string()
    .regex(/^[\w.+-]{1,128}$/, 'must be 1-128 letters, digits, "_", "-", "." or "+"'),
  clientName: z.string().default(''),
  clientSecret: z
    .string()
    .min(1, 'must be a non-empty string, or null for a public client')
    .nullable(),
  allowedOAuthFlows: z.array(z.enum(['client_credentials', 'code', 'implicit'])).default([]),
  explicitAuthFlows: z
    .array(
      z.enum([
        'ALLOW_USER_PASSWORD_AUTH',
        'ALLOW_ADMIN_USER_PASSWORD_AUTH',
        'ALLOW_USER_SRP_AUTH',
        'ALLOW_REFRESH_TOKEN_AUTH',
        'ALLOW_CUSTOM_AUTH',
        'ALLOW_USER_AUTH',
      ]),
    )
    .default([]),
  allowedOAuthScopes: z.array(z.string()).default([]),
  accessTokenValiditySeconds: z
    .number(VALIDITY)
    .int(VALIDITY)
    .min(300, VALIDITY)
    .max(86400, VALIDITY)
    .default(3600),
  // The names below are Cognito's UserPoolClient properties, camelCased, with its defaults.
  /** ID-token lifetime in `tokenValidityUnits.idToken` (default hours): 5 minutes to 1 day. */
  idTokenValidity: z.number().positive().default(1),
  /** Refresh-token lifetime in `tokenValidityUnits.refreshToken` (default days): 1 hour to 10 years. */
  refreshTokenValidity: z.number().positive().default(30),
  tokenValidityUnits: z
    .strictObject({
      idToken: TIME_UNIT.default('hours'),
      refreshToken: TIME_UNIT.default('days'),
    })
    .default({ idToken: 'hours', refreshToken: 'days' }),
  /** `ENABLED`: an unknown user is answered like a wrong password; `LEGACY`: UserNotFoundException. */
  preventUserExistenceErrors: z.enum(['ENABLED', 'LEGACY']).default('ENABLED'),
  /** Whether `POST /oauth2/revoke` may revoke this client's refresh tokens. */
  enableTokenRevocation: z.boolean().default(true),
  callbackURLs: z.array(z.url()).default([]),
  logoutURLs: z.array(z.url()).default([]),
});

const UserSchema = z.strictObject({
  username: z.string().min(1),
  password: z.string().min(1),
  email: z.email().optional(),
});

/** The JSON pool file: the Cognito resources Terraform or CDK would create. */
export const PoolSchema = z
  .strictObject({
    _comment: z.string().optional(),
    /** Cognito's `UserPoolName`; DescribeUserPool answers it. */
    userPoolName: z.string().min(1).max(128).default('weather'),
    userPoolId: z
      .string()
      .regex(
        USER_POOL_ID,
        'must be a Cognito user pool id, "<region>_<letters and digits>" such as "us-east-1_Weather01"',
      ),
    resourceServers: z.array(ResourceServerSchema).default([]),
    clients: z.array(ClientSchema),
    users: z.array(UserSchema).default([]),
  })
  .superRefine((pool, ctx) => {
    const scopes = new Set<string>();
    const servers = new Set<string>();
    pool.resourceServers.forEach((rs, i) => {
      if (servers.has(rs.identifier)) {
        ctx.addIssue({
          code: 'custom',
          path: ['resourceServers', i, 'identifier'],
          message: `duplicate identifier "${rs.identifier}"`,
        });
      }
      servers.add(rs.identifier);
      for (const s of rs.scopes) scopes.add(`${rs.identifier}/${s.name}`);
    });
    const clientIds = new Set<string>();
    pool.clients.forEach((c, i) => {
      if (clientIds.has(c.clientId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['clients', i, 'clientId'],
          message: `duplicate client id "${c.clientId}"`,
        });
      }
      clientIds.add(c.clientId);
      c.allowedOAuthScopes.forEach((s, j) => {
        if (!scopes.has(s)) {
          ctx.addIssue({
            code: 'custom',
            path: ['clients', i, 'allowedOAuthScopes', j],
            message: `unknown scope "${s}" (no resource server declares it)`,
          });
        }
      });
      const lifetimes = [
        ['idTokenValidity', idTokenValiditySeconds(c), 300, 86400],
        ['refreshTokenValidity', refreshTokenValiditySeconds(c), 3600, 3650 * 86400],
      ] as const;
      for (const [field, seconds, min, max] of lifetimes) {
        if (seconds < min || seconds > max) {
          ctx.addIssue({
            code: 'custom',
            path: ['clients', i, field],
            message: `must be between ${min} and ${max} seconds in its tokenValidityUnits`,
          });
        }
      }
      if (c.allowedOAuthFlows.includes('client_credentials')) {
        if (c.clientSecret === null) {
          ctx.addIssue({
            code: 'custom',
            path: ['clients', i, 'clientSecret'],
            message: 'client_credentials needs a client secret',
          });
        }
        if (c.allowedOAuthScopes.length === 0) {
          ctx.addIssue({
            code: 'custom',
            path: ['clients', i, 'allowedOAuthScopes'],
            message: 'client_credentials needs at least one custom scope',
          });
        }
      }
    });
    const users = new Set<string>();
    pool.users.forEach((u, i) => {
      if (users.has(u.username)) {
        ctx.addIssue({
          code: 'custom',
          path: ['users', i, 'username'],
          message: `duplicate username "${u.username}"`,
        });
      }
      users.add(u.username);
    });
  });

export type Pool = z.infer<typeof PoolSchema>;
export type PoolClient = Pool['clients'][number];
export type PoolUser = Pool['users'][number];
export type PoolResourceServer = Pool['resourceServers'][number];

/** A client's ID-token lifetime in seconds. */
export function idTokenValiditySeconds(c: PoolClient): number {
  return Math.round(c.idTokenValidity * UNIT_SECONDS[c.tokenValidityUnits.idToken]);
}

/** A client's refresh-token lifetime in seconds. */
export function refreshTokenValiditySeconds(c: PoolClient): number {
  return Math.round(c.refreshTokenValidity * UNIT_SECONDS[c.tokenValidityUnits.refreshToken]);
}
