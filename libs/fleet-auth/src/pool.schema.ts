import { z } from 'zod';

const VALIDITY = 'must be between 300 and 86400';
// RFC 6749 scope-token characters, without "/" (it separates server and scope).
const SCOPE_NAME = /^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+$/;
const IDENTIFIER = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

const ResourceServerSchema = z.strictObject({
  identifier: z.string().regex(IDENTIFIER, 'must be a non-empty string without spaces'),
  name: z.string().min(1),
  scopes: z.array(
    z.strictObject({
      name: z.string().regex(SCOPE_NAME, 'must be a non-empty string without spaces or "/"'),
      description: z.string().default(''),
    }),
  ),
});

const ClientSchema = z.strictObject({
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
    userPoolId: z.string().regex(/^[\w-]+_[0-9a-zA-Z]+$/, 'must look like "<region or name>_<id>"'),
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
