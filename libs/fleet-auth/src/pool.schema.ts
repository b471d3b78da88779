import { z } from 'zod';

// RFC 6749 scope-token characters, without "/" (it separates server and scope).
const SCOPE_NAME = /^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+$/;
const IDENTIFIER = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
// Cognito's patterns for names shown in the console (ClientName, PoolName).
const COGNITO_NAME = /^[\w\s+=,.@-]*$/;
const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
// Cognito's custom domains sit behind CloudFront, which takes certificates from us-east-1 only.
const US_EAST_1_CERTIFICATE = /^arn:aws[\w-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/;
const SERVICE_NAME = /^[a-z][a-z0-9-]*$/;
const ENV_PREFIX = /^[A-Z][A-Z0-9_]*$/;

const TimeUnitSchema = z.enum(['seconds', 'minutes', 'hours', 'days']);
const SECONDS_PER = { seconds: 1, minutes: 60, hours: 3600, days: 86400 } as const;
const WHOLE = 'must be a positive whole number (in tokenValidityUnits)';
const validity = (cognitoDefault: number) =>
  z.number(WHOLE).int(WHOLE).positive(WHOLE).default(cognitoDefault);

const ResourceServerSchema = z.strictObject({
  identifier: z.string().regex(IDENTIFIER, 'must be a non-empty string without spaces'),
  name: z.string().min(1),
  scopes: z.array(
    z.strictObject({
      name: z.string().regex(SCOPE_NAME, 'must be a non-empty string without spaces or "/"'),
      description: z.string().max(256).default(''),
    }),
  ),
});

// Field names and defaults are Cognito's (CreateUserPoolClient), so the CDK stack maps them 1:1.
const ClientSchema = z
  .strictObject({
    clientId: z
      .string()
      .regex(/^[\w.+-]{1,128}$/, 'must be 1-128 letters, digits, "_", "-", "." or "+"'),
    clientName: z
      .string()
      .max(128)
      .regex(COGNITO_NAME, 'may hold only letters, digits, spaces and "+=,.@-_"')
      .default(''),
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
        ]),
      )
      .default([]),
    allowedOAuthScopes: z.array(z.string()).default([]),
    accessTokenValidity: validity(1),
    idTokenValidity: validity(1),
    refreshTokenValidity: validity(30),
    tokenValidityUnits: z
      .strictObject({
        accessToken: TimeUnitSchema.default('hours'),
        idToken: TimeUnitSchema.default('hours'),
        refreshToken: TimeUnitSchema.default('days'),
      })
      .prefault({}),
    enableTokenRevocation: z.boolean().default(true),
    preventUserExistenceErrors: z.enum(['ENABLED', 'LEGACY']).default('ENABLED'),
  })
  .superRefine((c, ctx) => {
    const seconds = (value: number, unit: z.infer<typeof TimeUnitSchema>) =>
      value * SECONDS_PER[unit];
    // The unit is in the message: an omitted unit is Cognito's default (hours; days for refresh).
    const given = (value: number, unit: string) => `is ${value} ${unit}`;
    const refreshUnit = c.tokenValidityUnits.refreshToken;
    const refresh = seconds(c.refreshTokenValidity, refreshUnit);
    if (refresh < 3600 || refresh > 3650 * 86400) {
      ctx.addIssue({
        code: 'custom',
        path: ['refreshTokenValidity'],
        message: `must be between 60 minutes and 3650 days (${given(c.refreshTokenValidity, refreshUnit)})`,
      });
    }
    for (const [field, unit] of [
      ['accessTokenValidity', c.tokenValidityUnits.accessToken],
      ['idTokenValidity', c.tokenValidityUnits.idToken],
    ] as const) {
      const s = seconds(c[field], unit);
      if (s < 300 || s > 86400) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `must be between 5 minutes and 1 day (${given(c[field], unit)})`,
        });
      } else if (s > refresh) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: 'must not exceed refreshTokenValidity',
        });
      }
    }
  })
  .transform((c) => ({
    ...c,
    // accessTokenValidity in seconds: the emulator's expires_in and key retention.
    accessTokenValiditySeconds:
      c.accessTokenValidity * SECONDS_PER[c.tokenValidityUnits.accessToken],
  }));

const UserSchema = z.strictObject({
  username: z.string().min(1),
  password: z.string().min(1),
  email: z.email().optional(),
});

const UserPoolSettingsSchema = z.strictObject({
  userPoolName: z
    .string()
    .min(1)
    .max(128)
    .regex(COGNITO_NAME, 'may hold only letters, digits, spaces and "+=,.@-_"')
    .optional(),
  allowAdminCreateUserOnly: z.boolean().default(true),
  deletionProtection: z.enum(['ACTIVE', 'INACTIVE']).default('ACTIVE'),
  removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
});

const DomainSchema = z
  .strictObject({
    domainPrefix: z
      .string()
      .regex(DOMAIN_PREFIX, 'must be 1-63 lower-case letters, digits and inner "-"')
      .refine((p) => !/aws|amazon|cognito/.test(p), 'must not contain "aws", "amazon" or "cognito"')
      .optional(),
    customDomain: z
      .strictObject({
        domainName: z.string().regex(HOSTNAME, 'must be a lower-case DNS name'),
        certificateArn: z
          .string()
          .regex(US_EAST_1_CERTIFICATE, 'must be an ACM certificate ARN in us-east-1'),
      })
      .optional(),
  })
  .refine((d) => (d.domainPrefix === undefined) !== (d.customDomain === undefined), {
    message: 'set exactly one of domainPrefix or customDomain',
  });

const ServiceSchema = z.strictObject({
  resourceServers: z.array(z.string()).default([]),
  clients: z
    .record(z.string().regex(ENV_PREFIX, 'must be an upper-case variable prefix'), z.string())
    .default({}),
});

/**
 * The fleet's auth definition (`libs/fleet-auth/pool.json`): a Cognito user pool with its
 * domain, resource servers and app clients, read by the emulator and by the CDK stack in
 * `infra/`, plus which service serves which resource server and uses which client.
 *
 * Emulator-only, never provisioned: `userPoolId` (AWS generates real ones), each client's
 * `clientId` and `clientSecret` as values (AWS generates them; the stack keeps the
 * secret in Secrets Manager) and `users`.
 */
export const PoolSchema = z
  .strictObject({
    _comment: z.string().optional(),
    userPoolId: z.string().regex(/^[\w-]+_[0-9a-zA-Z]+$/, 'must look like "<region or name>_<id>"'),
    userPool: UserPoolSettingsSchema.prefault({}),
    domain: DomainSchema.optional(),
    resourceServers: z.array(ResourceServerSchema).default([]),
    clients: z.array(ClientSchema),
    users: z.array(UserSchema).default([]),
    services: z
      .record(z.string().regex(SERVICE_NAME, 'must be a kebab-case service name'), ServiceSchema)
      .default({}),
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
    const clients = new Map<string, z.infer<typeof ClientSchema>>();
    pool.clients.forEach((c, i) => {
      if (clients.has(c.clientId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['clients', i, 'clientId'],
          message: `duplicate client id "${c.clientId}"`,
        });
      }
      clients.set(c.clientId, c);
      c.allowedOAuthScopes.forEach((s, j) => {
        if (!scopes.has(s)) {
          ctx.addIssue({
            code: 'custom',
            path: ['clients', i, 'allowedOAuthScopes', j],
            message: `unknown scope "${s}" (no resource server declares it)`,
          });
        }
      });
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
        if (c.allowedOAuthFlows.length > 1) {
          ctx.addIssue({
            code: 'custom',
            path: ['clients', i, 'allowedOAuthFlows'],
            message: 'client_credentials cannot be combined with code or implicit',
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
    for (const [name, service] of Object.entries(pool.services)) {
      service.resourceServers.forEach((identifier, i) => {
        if (!servers.has(identifier)) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', name, 'resourceServers', i],
            message: `unknown resource server "${identifier}"`,
          });
        }
      });
      for (const [prefix, clientId] of Object.entries(service.clients)) {
        const client = clients.get(clientId);
        if (!client?.allowedOAuthFlows.includes('client_credentials')) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', name, 'clients', prefix],
            message: client
              ? `client "${clientId}" does not allow client_credentials`
              : `unknown client "${clientId}"`,
          });
        }
      }
    }
  });

/** A validated definition, defaults applied. */
export type Pool = z.infer<typeof PoolSchema>;
/** The definition as written in the file, before defaults. */
export type PoolDocument = z.input<typeof PoolSchema>;
export type PoolClient = Pool['clients'][number];
export type PoolUser = Pool['users'][number];
export type PoolService = Pool['services'][string];
