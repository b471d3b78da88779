import type { Pool, PoolClient, PoolUser } from '@app/fleet-auth';
import { createHmac } from 'node:crypto';
import { secretsEqual } from '../oauth/client-authenticator.js';
import type { EmulatorRuntime } from '../tokens/emulator-runtime.js';
import { userTokensClaims, type TokenSigner } from '../tokens/token-signer.js';
import { CognitoIdpError } from './cognito-idp.error.js';

const AUTH_FLOWS = [
  'USER_SRP_AUTH',
  'REFRESH_TOKEN_AUTH',
  'REFRESH_TOKEN',
  'CUSTOM_AUTH',
  'ADMIN_NO_SRP_AUTH',
  'USER_PASSWORD_AUTH',
  'ADMIN_USER_PASSWORD_AUTH',
  'USER_AUTH',
];
const WRONG_CREDENTIALS = 'Incorrect username or password.';
// Compared against when the user does not exist, so both paths cost the same.
const DUMMY_PASSWORD = 'not-a-password-of-anyone';

export interface InitiateAuthResponse {
  AuthenticationResult: {
    AccessToken: string;
    ExpiresIn: number;
    IdToken: string;
    TokenType: 'Bearer';
  };
  ChallengeParameters: Record<string, never>;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** InitiateAuth with USER_PASSWORD_AUTH: the user-flow corner of the Cognito surface. */
export class InitiateAuthService {
  private readonly clients: Map<string, PoolClient>;
  private readonly users: Map<string, PoolUser>;

  constructor(
    private readonly pool: Pool,
    private readonly signer: TokenSigner,
    private readonly runtime: EmulatorRuntime,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    this.clients = new Map(pool.clients.map((c) => [c.clientId, c]));
    this.users = new Map(pool.users.map((u) => [u.username, u]));
  }

  async initiateAuth(input: unknown): Promise<InitiateAuthResponse> {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new CognitoIdpError('SerializationException', 'the request body must be a JSON object');
    }
    const req = input as Record<string, unknown>;
    const authFlow = text(req.AuthFlow);
    const clientId = text(req.ClientId);
    if (authFlow === undefined || clientId === undefined) {
      throw new CognitoIdpError(
        'InvalidParameterException',
        `Missing required parameter ${authFlow === undefined ? 'AuthFlow' : 'ClientId'}`,
      );
    }
    if (!AUTH_FLOWS.includes(authFlow)) {
      throw new CognitoIdpError(
        'InvalidParameterException',
        `1 validation error detected: Value '${authFlow}' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set: [${AUTH_FLOWS.join(', ')}]`,
      );
    }
    const client = this.clients.get(clientId);
    if (!client) {
      throw new CognitoIdpError(
        'ResourceNotFoundException',
        `User pool client ${clientId} does not exist.`,
      );
    }
    if (
      authFlow !== 'USER_PASSWORD_AUTH' ||
      !client.explicitAuthFlows.includes('ALLOW_USER_PASSWORD_AUTH')
    ) {
      throw new CognitoIdpError(
        'InvalidParameterException',
        `${authFlow} flow not enabled for this client`,
      );
    }
    const params = req.AuthParameters;
    const p =
      typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {};
    const username = text(p.USERNAME);
    const password = text(p.PASSWORD);
    if (username === undefined || password === undefined) {
      throw new CognitoIdpError(
        'InvalidParameterException',
        `Missing required parameter ${username === undefined ? 'USERNAME' : 'PASSWORD'}`,
      );
    }
    if (client.clientSecret !== null) {
      const expected = createHmac('sha256', client.clientSecret)
        .update(username + client.clientId)
        .digest('base64');
      const given = text(p.SECRET_HASH);
      if (given === undefined || !secretsEqual(given, expected)) {
        throw new CognitoIdpError(
          'NotAuthorizedException',
          `Unable to verify secret hash for client ${client.clientId}`,
        );
      }
    }
    const user = this.users.get(username);
    const ok = secretsEqual(password, user?.password ?? DUMMY_PASSWORD);
    if (!user || !ok) throw new CognitoIdpError('NotAuthorizedException', WRONG_CREDENTIALS);

    const claims = userTokensClaims({
      issuer: this.runtime.issuer,
      clientId: client.clientId,
      userPoolId: this.pool.userPoolId,
      username: user.username,
      email: user.email,
      validitySeconds: client.accessTokenValiditySeconds,
      now: this.now(),
    });
    const [accessToken, idToken] = await Promise.all([
      this.signer.sign(claims.access),
      this.signer.sign(claims.id),
    ]);
    return {
      AuthenticationResult: {
        AccessToken: accessToken,
        ExpiresIn: client.accessTokenValiditySeconds,
        IdToken: idToken,
        TokenType: 'Bearer',
      },
      ChallengeParameters: {},
    };
  }
}
