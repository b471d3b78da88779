import { CLIENT_TOKEN_AUTH, COGNITO_PATTERNS, ISSUER_TYPES, TIME_UNITS } from '@app/fleet-auth';
import {
  boolean,
  type InputOf,
  input,
  integer,
  required,
  string,
  stringList,
  structure,
  structureList,
} from '../aws-json/aws-shape.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  NAME,
  patterned,
  USER_POOL_ID,
} from '../aws-json/cognito-constraints.js';

const IDENTIFIER = patterned(1, 256, COGNITO_PATTERNS.resourceServerIdentifier);
const SCOPE_NAME = patterned(1, 256, COGNITO_PATTERNS.scopeName);
const NEXT_TOKEN = { min: 1 };

const AUTH_FLOWS = [
  'ALLOW_ADMIN_USER_PASSWORD_AUTH',
  'ALLOW_CUSTOM_AUTH',
  'ALLOW_USER_PASSWORD_AUTH',
  'ALLOW_USER_SRP_AUTH',
  'ALLOW_REFRESH_TOKEN_AUTH',
  'ALLOW_USER_AUTH',
  CLIENT_TOKEN_AUTH,
] as const;
// In the order AWS's validation message lists them.
const OAUTH_FLOWS = ['implicit', 'client_credentials', 'code'] as const;

const POOL = { UserPoolId: required(string(USER_POOL_ID)) };
const CLIENT = { ...POOL, ClientId: required(string(CLIENT_ID)) };

/** `ArnType` of the API reference: a Lambda function's ARN. */
const LAMBDA_ARN = patterned(
  20,
  2048,
  'arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?',
);
const LAMBDA_VERSIONS = ['V1_0', 'V2_0', 'V3_0'] as const;

const RESOURCE_SERVER = {
  ...POOL,
  Identifier: required(string(IDENTIFIER)),
  Name: required(string({ ...NAME, max: 256 })),
  Scopes: structureList(
    {
      ScopeName: required(string(SCOPE_NAME)),
      ScopeDescription: required(string({ min: 1, max: 256 })),
    },
    100,
  ),
};

/**
 * The settings of CreateUserPoolClient and UpdateUserPoolClient that the emulator models.
 * Each left out takes Cognito's default (an update replaces the settings, it does not merge).
 */
const CLIENT_SETTINGS = {
  TokenValidityUnits: structure({
    AccessToken: string({ values: TIME_UNITS }),
    IdToken: string({ values: TIME_UNITS }),
    RefreshToken: string({ values: TIME_UNITS }),
  }),
  AccessTokenValidity: integer(1, 86400),
  IdTokenValidity: integer(1, 86400),
  RefreshTokenValidity: integer(0, 315360000),
  ExplicitAuthFlows: stringList({ values: AUTH_FLOWS }),
  AllowedOAuthFlows: stringList({ values: OAUTH_FLOWS, maxItems: 3 }),
  AllowedOAuthScopes: stringList({ min: 1, max: 256, maxItems: 50 }),
  AllowedOAuthFlowsUserPoolClient: boolean(),
  CallbackURLs: stringList({ min: 1, max: 1024, maxItems: 100 }),
  LogoutURLs: stringList({ min: 1, max: 1024, maxItems: 100 }),
  PreventUserExistenceErrors: string({ values: ['ENABLED', 'LEGACY'] }),
  EnableTokenRevocation: boolean(),
};

/** The input shape of each control-plane operation, as the API reference constrains it. */
export const ControlPlaneInputs = {
  DescribeUserPool: input(POOL),
  /**
   * The user pool settings the emulator models; the request's other members are accepted
   * and ignored (not emulated).
   */
  UpdateUserPool: input({
    ...POOL,
    PoolName: string(NAME),
    DeletionProtection: string({ values: ['ACTIVE', 'INACTIVE'] }),
    AdminCreateUserConfig: structure({ AllowAdminCreateUserOnly: boolean() }),
    IssuerConfiguration: structure({ Type: string({ values: ISSUER_TYPES }) }),
    LambdaConfig: structure({
      PreTokenGeneration: string(LAMBDA_ARN),
      PreTokenGenerationConfig: structure({
        LambdaVersion: required(string({ values: LAMBDA_VERSIONS })),
        LambdaArn: required(string(LAMBDA_ARN)),
      }),
    }),
  }),
  CreateResourceServer: input(RESOURCE_SERVER),
  DescribeResourceServer: input({ ...POOL, Identifier: required(string(IDENTIFIER)) }),
  ListResourceServers: input({
    ...POOL,
    MaxResults: required(integer(1, 50)),
    NextToken: string(NEXT_TOKEN),
  }),
  UpdateResourceServer: input(RESOURCE_SERVER),
  DeleteResourceServer: input({ ...POOL, Identifier: required(string(IDENTIFIER)) }),
  CreateUserPoolClient: input({
    ...POOL,
    ClientName: required(string(NAME)),
    GenerateSecret: boolean(),
    ClientSecret: string(CLIENT_SECRET),
    ...CLIENT_SETTINGS,
  }),
  DescribeUserPoolClient: input(CLIENT),
  ListUserPoolClients: input({
    ...POOL,
    MaxResults: integer(1, 60),
    NextToken: string(NEXT_TOKEN),
  }),
  UpdateUserPoolClient: input({ ...CLIENT, ClientName: string(NAME), ...CLIENT_SETTINGS }),
  DeleteUserPoolClient: input(CLIENT),
  AddUserPoolClientSecret: input({ ...CLIENT, ClientSecret: string(CLIENT_SECRET) }),
  ListUserPoolClientSecrets: input({
    ...CLIENT,
    NextToken: string(patterned(1, 131072, '[\\S]+')),
  }),
  DeleteUserPoolClientSecret: input({
    ...CLIENT,
    ClientSecretId: required(string({ min: 1, max: 128 })),
  }),
};

type Inputs = typeof ControlPlaneInputs;
export type PoolRef = InputOf<Inputs['DescribeUserPool']>;
export type UpdatePoolInput = InputOf<Inputs['UpdateUserPool']>;
export type ResourceServerInput = InputOf<Inputs['CreateResourceServer']>;
export type ResourceServerRef = InputOf<Inputs['DescribeResourceServer']>;
export type ListResourceServersInput = InputOf<Inputs['ListResourceServers']>;
export type CreateClientInput = InputOf<Inputs['CreateUserPoolClient']>;
export type ClientRef = InputOf<Inputs['DescribeUserPoolClient']>;
export type ListClientsInput = InputOf<Inputs['ListUserPoolClients']>;
export type UpdateClientInput = InputOf<Inputs['UpdateUserPoolClient']>;
export type AddClientSecretInput = InputOf<Inputs['AddUserPoolClientSecret']>;
export type ListClientSecretsInput = InputOf<Inputs['ListUserPoolClientSecrets']>;
export type DeleteClientSecretInput = InputOf<Inputs['DeleteUserPoolClientSecret']>;
