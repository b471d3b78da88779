import { z } from 'zod';
import {
  appClientViolations,
  CLIENT_TOKEN_AUTH,
  COGNITO_PATTERNS,
  EXPLICIT_AUTH_FLOWS,
  MAX_CLIENT_SECRETS,
  scopeExists,
  TIME_UNITS,
  wholeMatch,
} from './app-client.rules.js';

// Cognito's pattern for names shown in the console (ClientName, PoolName), or empty.
const COGNITO_NAME = new RegExp(`^(?:${COGNITO_PATTERNS.name})?$`, 'u');
const NAME_CHARACTERS = 'may hold only letters, digits, spaces and "+=,.@-_"';
// Cognito's shape, which aws-jwt-verify's CognitoJwtVerifier also checks: an AWS region
// ("us-east-1", "ap-southeast-2", "us-gov-west-1"), "_", then letters and digits.
const USER_POOL_ID = /^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$/;

/**
 * The region a user pool id starts with: `eu-west-1` of `eu-west-1_AbCdEf123` (the part before
 * its `_`). Cognito's ARNs, endpoints and trigger events name the pool's region this way.
 */
export function userPoolRegion(userPoolId: string): string {
  return userPoolId.slice(0, userPoolId.indexOf('_'));
}
const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
// Cognito's custom domains sit behind CloudFront, which takes certificates from us-east-1 only.
const US_EAST_1_CERTIFICATE = /^arn:aws[\w-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/;
const SERVICE_NAME = /^[a-z][a-z0-9-]*$/;
const ENV_PREFIX = /^[A-Z][A-Z0-9_]*$/;

/** One of Cognito's `TokenValidityUnits` values. */
export const TimeUnitSchema = z.enum(TIME_UNITS);
const WHOLE = 'must be a positive whole number (in tokenValidityUnits)';
const validity = (cognitoDefault: number) =>
  z.number(WHOLE).int(WHOLE).positive(WHOLE).default(cognitoDefault);
const NON_EMPTY = 'must be a non-empty string';
const SECRET = z.string(NON_EMPTY).min(1, NON_EMPTY);

/** A resource server and its scopes (Cognito's `CreateResourceServer`). */
export const ResourceServerSchema = z.strictObject({
  identifier: z
    .string()
    .max(256)
    .regex(
      wholeMatch(COGNITO_PATTERNS.resourceServerIdentifier),
      'must be a non-empty string without spaces',
    ),
  name: z.string().min(1).max(256),
  scopes: z.array(
    z.strictObject({
      name: z
        .string()
        .max(256)
        .regex(
          wholeMatch(COGNITO_PATTERNS.scopeName),
          'must be a non-empty string without spaces or "/"',
        ),
      description: z.string().max(256).default(''),
    }),
  ),
});

/**
 * An app client's fields and their formats. Names and defaults are Cognito's
 * (`CreateUserPoolClient`), so the CDK stack maps them 1:1 and the emulator's control plane
 * reads and answers them. Without Cognito's rules: a pool can hold a client that no longer
 * passes them (deleting a resource server takes its scopes from every client), as the
 * emulator's state file does.
 */
export const ClientFieldsSchema = z.strictObject({
  clientId: z
    .string()
    .max(128)
    .regex(
      wholeMatch(COGNITO_PATTERNS.clientId),
      'must be 1-128 letters, digits, "_", "-", "." or "+"',
    ),
  clientName: z.string().max(128).regex(COGNITO_NAME, NAME_CHARACTERS).default(''),
  // One secret, or Cognito's at most two active ones (oldest first), or null: a public client.
  clientSecret: z
    .union(
      [
        SECRET,
        // The count is checked below (zod's array bounds inside a union would lose its message);
        // the same bounds, as metadata, reach the JSON Schema.
        z.array(SECRET).meta({ minItems: 1, maxItems: MAX_CLIENT_SECRETS }),
      ],
      {
        error: `must be a secret, a list of at most ${MAX_CLIENT_SECRETS} secrets, or null for a public client`,
      },
    )
    .nullable()
    .refine(
      (s) => !Array.isArray(s) || (s.length >= 1 && s.length <= MAX_CLIENT_SECRETS),
      `must list 1 or ${MAX_CLIENT_SECRETS} secrets: Cognito keeps at most ${MAX_CLIENT_SECRETS} active secrets per app client`,
    ),
  allowedOAuthFlows: z.array(z.enum(['client_credentials', 'code', 'implicit'])).default([]),
  explicitAuthFlows: z.array(z.enum(EXPLICIT_AUTH_FLOWS)).default([]),
  allowedOAuthScopes: z.array(z.string()).default([]),
  callbackURLs: z.array(z.url()).default([]),
  logoutURLs: z.array(z.url()).default([]),
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
  /** `ENABLED`: an unknown user is answered like a wrong password; `LEGACY`: UserNotFoundException. */
  preventUserExistenceErrors: z.enum(['ENABLED', 'LEGACY']).default('ENABLED'),
});

/**
 * An app client as created: its fields, and Cognito's rules for them ({@link appClientViolations}),
 * whether it comes from the definition or from the control plane.
 */
export const ClientSchema = ClientFieldsSchema.superRefine((c, ctx) => {
  for (const v of appClientViolations(c)) {
    ctx.addIssue({ code: 'custom', path: [v.field], message: v.message });
  }
});

const UserSchema = z.strictObject({
  username: z.string().min(1),
  password: z.string().min(1),
  email: z.email().optional(),
});

/** Cognito's `IssuerConfiguration.Type` values. */
export const ISSUER_TYPES = ['ORIGINAL', 'UPDATED'] as const;
/** One of {@link ISSUER_TYPES}. */
export type IssuerType = (typeof ISSUER_TYPES)[number];

/**
 * A pre token generation trigger, as Cognito's `LambdaConfig.PreTokenGenerationConfig` names
 * it, with the function's code in place of its ARN: `module`, a JavaScript module exporting a
 * Lambda-style `handler(event)`, its path relative to the pool file. Only `V3_0` events reach
 * client-credentials tokens (`TokenGeneration_ClientCredentials`), the emulator's only ones.
 */
const PreTokenGenerationConfigSchema = z.strictObject({
  lambdaVersion: z.enum(['V3_0'], {
    error: 'must be "V3_0": only the V3 event reaches client-credentials (M2M) tokens',
  }),
  module: z
    .string()
    .regex(/^[^\0]+\.(?:mjs|cjs|js)$/u, 'must name a JavaScript module (.mjs, .cjs or .js)'),
});

const UserPoolSettingsSchema = z.strictObject({
  userPoolName: z.string().min(1).max(128).regex(COGNITO_NAME, NAME_CHARACTERS).optional(),
  allowAdminCreateUserOnly: z.boolean().default(true),
  deletionProtection: z.enum(['ACTIVE', 'INACTIVE']).default('ACTIVE'),
  removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
  /** `ORIGINAL`: `https://cognito-idp.{region}.amazonaws.com/{poolId}`; `UPDATED`: `issuer-cognito-idp`. */
  issuerConfiguration: z
    .strictObject({ type: z.enum(ISSUER_TYPES).default('ORIGINAL') })
    .prefault({}),
  lambdaConfig: z
    .strictObject({ preTokenGenerationConfig: PreTokenGenerationConfigSchema.optional() })
    .optional(),
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
    /** The JSON Schema editors validate the file by (`pool.schema.json`); not read otherwise. */
    $schema: z.string().optional(),
    _comment: z.string().optional(),
    userPoolId: z
      .string()
      .regex(
        USER_POOL_ID,
        'must be a Cognito user pool id, "<region>_<letters and digits>" such as "us-east-1_Weather01"',
      ),
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
    const servers = new Map<string, z.infer<typeof ResourceServerSchema>>();
    pool.resourceServers.forEach((rs, i) => {
      if (servers.has(rs.identifier)) {
        ctx.addIssue({
          code: 'custom',
          path: ['resourceServers', i, 'identifier'],
          message: `duplicate identifier "${rs.identifier}"`,
        });
      }
      servers.set(rs.identifier, rs);
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
        if (!scopeExists(s, (identifier) => servers.get(identifier))) {
          ctx.addIssue({
            code: 'custom',
            path: ['clients', i, 'allowedOAuthScopes', j],
            message: `unknown scope "${s}" (neither a standard scope nor one a resource server declares)`,
          });
        }
      });
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
        const machine =
          client?.allowedOAuthFlows.includes('client_credentials') ||
          client?.explicitAuthFlows.includes(CLIENT_TOKEN_AUTH);
        if (!machine) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', name, 'clients', prefix],
            message: client
              ? `client "${clientId}" allows neither client_credentials nor ${CLIENT_TOKEN_AUTH}`
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
export type PoolResourceServer = Pool['resourceServers'][number];
export type PoolUser = Pool['users'][number];
export type PoolService = Pool['services'][string];
/** The definition's pre token generation trigger, when it names one. */
export type PoolTriggerConfig = z.infer<typeof PreTokenGenerationConfigSchema>;
