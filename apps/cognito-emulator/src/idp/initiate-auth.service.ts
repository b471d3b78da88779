import { tokenValiditySeconds, type PoolClient, type PoolUser } from '@app/fleet-auth';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type InputOf, input, required, string, stringMap } from '../aws-json/aws-shape.js';
import { CognitoIdpError } from '../aws-json/cognito-idp.error.js';
import { CLIENT_ID } from '../aws-json/cognito-constraints.js';
import { ClientSecrets } from '../clients/client-secrets.js';
import { PoolStore } from '../pool/pool-store.js';
import { RefreshTokenStore } from '../refresh-tokens/refresh-token.store.js';
import { Clock } from '../shared/clock.js';
import { secretsEqual } from '../shared/secrets.js';
import { EmulatorRuntime } from '../tokens/emulator-runtime.js';
import { stableUserSub, TokenSigner, userTokensClaims } from '../tokens/token-signer.js';
import { SignInLockout } from './sign-in-lockout.js';

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

/** InitiateAuth's input shape, as the API reference constrains it. */
export const InitiateAuthInput = input({
  AuthFlow: required(string({ values: AUTH_FLOWS })),
  AuthParameters: stringMap(),
  ClientId: required(string(CLIENT_ID)),
});

export interface InitiateAuthResponse {
  AuthenticationResult: {
    AccessToken: string;
    ExpiresIn: number;
    IdToken: string;
    /** Only from USER_PASSWORD_AUTH; REFRESH_TOKEN_AUTH keeps the one presented. */
    RefreshToken?: string;
    TokenType: 'Bearer';
  };
  ChallengeParameters: Record<string, never>;
}

type Params = Readonly<Record<string, string>>;

/** An auth parameter, empty counting as absent. */
function param(p: Params, name: string): string | undefined {
  return p[name] === '' ? undefined : p[name];
}

/**
 * InitiateAuth: USER_PASSWORD_AUTH (with Cognito's lockout after failed passwords and its
 * PreventUserExistenceErrors per client) and REFRESH_TOKEN_AUTH for the refresh tokens it
 * issued; the user-flow corner of the Cognito surface.
 */
@Injectable()
export class InitiateAuthService {
  constructor(
    @Inject(PoolStore) private readonly pool: PoolStore,
    @Inject(TokenSigner) private readonly signer: TokenSigner,
    @Inject(EmulatorRuntime) private readonly runtime: EmulatorRuntime,
    @Inject(RefreshTokenStore) private readonly refreshTokens: RefreshTokenStore,
    @Inject(SignInLockout) private readonly lockout: SignInLockout,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(ClientSecrets) private readonly secrets: ClientSecrets,
  ) {}

  async initiateAuth(input: InputOf<typeof InitiateAuthInput>): Promise<InitiateAuthResponse> {
    const { AuthFlow: authFlow, ClientId: clientId } = input;
    const client = this.pool.client(clientId);
    if (!client) {
      throw new CognitoIdpError(
        'ResourceNotFoundException',
        `User pool client ${clientId} does not exist.`,
      );
    }
    const p = input.AuthParameters ?? {};
    if (
      authFlow === 'USER_PASSWORD_AUTH' &&
      client.explicitAuthFlows.includes('ALLOW_USER_PASSWORD_AUTH')
    ) {
      return this.passwordAuth(client, p);
    }
    if (
      (authFlow === 'REFRESH_TOKEN_AUTH' || authFlow === 'REFRESH_TOKEN') &&
      client.explicitAuthFlows.includes('ALLOW_REFRESH_TOKEN_AUTH')
    ) {
      return this.refreshAuth(client, p);
    }
    throw new CognitoIdpError(
      'InvalidParameterException',
      `${authFlow} flow not enabled for this client`,
    );
  }

  private async passwordAuth(client: PoolClient, p: Params): Promise<InitiateAuthResponse> {
    const username = param(p, 'USERNAME');
    const password = param(p, 'PASSWORD');
    if (username === undefined || password === undefined) {
      throw new CognitoIdpError(
        'InvalidParameterException',
        `Missing required parameter ${username === undefined ? 'USERNAME' : 'PASSWORD'}`,
      );
    }
    this.checkSecretHash(client, p, [username]);
    const user = this.pool.user(username);
    const hidesUsers = client.preventUserExistenceErrors === 'ENABLED';
    // Unknown users are locked out too where their existence must not show.
    const tracked = user !== undefined || hidesUsers;
    if (tracked && this.lockout.attempt(username)) {
      throw new CognitoIdpError('NotAuthorizedException', 'Password attempts exceeded');
    }
    const ok = secretsEqual(password, user?.password ?? DUMMY_PASSWORD);
    if (!user && !hidesUsers) {
      throw new CognitoIdpError('UserNotFoundException', 'User does not exist.');
    }
    if (!user || !ok) {
      this.lockout.recordFailure(username);
      throw new CognitoIdpError('NotAuthorizedException', WRONG_CREDENTIALS);
    }
    this.lockout.recordSuccess(username);
    const originJti = randomUUID();
    const refreshToken = this.refreshTokens.issue({
      clientId: client.clientId,
      username: user.username,
      originJti,
      expiresAt: this.clock.nowSeconds() + tokenValiditySeconds(client, 'refreshToken'),
    });
    const result = await this.tokens(client, user, originJti);
    result.AuthenticationResult.RefreshToken = refreshToken;
    return result;
  }

  private async refreshAuth(client: PoolClient, p: Params): Promise<InitiateAuthResponse> {
    const token = param(p, 'REFRESH_TOKEN');
    if (token === undefined) {
      throw new CognitoIdpError(
        'InvalidParameterException',
        'Missing required parameter REFRESH_TOKEN',
      );
    }
    const found = this.refreshTokens.lookup(token);
    if (!found.ok || found.grant.clientId !== client.clientId) {
      const reason = found.ok ? 'unknown' : found.reason;
      throw new CognitoIdpError(
        'NotAuthorizedException',
        reason === 'revoked'
          ? 'Refresh Token has been revoked'
          : reason === 'expired'
            ? 'Refresh Token has expired'
            : 'Invalid Refresh Token',
      );
    }
    const { grant } = found;
    // Cognito computes this SECRET_HASH with the username or the user's sub.
    this.checkSecretHash(client, p, [
      grant.username,
      stableUserSub(this.pool.userPoolId, grant.username),
    ]);
    const user = this.pool.user(grant.username);
    if (!user) throw new CognitoIdpError('NotAuthorizedException', 'Invalid Refresh Token');
    return this.tokens(client, user, grant.originJti);
  }

  /**
   * Clients with a secret must send SECRET_HASH = Base64(HMAC-SHA256(secret, username +
   * clientId)), made with any of their active secrets (the one secret check).
   */
  private checkSecretHash(client: PoolClient, p: Params, usernames: readonly string[]): void {
    if (client.clientSecret === null) return;
    const given = param(p, 'SECRET_HASH') ?? '';
    const matches = this.secrets.matchesSecretHash(client, given, usernames);
    if (!matches) {
      throw new CognitoIdpError(
        'NotAuthorizedException',
        `Unable to verify secret hash for client ${client.clientId}`,
      );
    }
  }

  private async tokens(
    client: PoolClient,
    user: PoolUser,
    originJti: string,
  ): Promise<InitiateAuthResponse> {
    const accessValiditySeconds = tokenValiditySeconds(client, 'accessToken');
    const claims = userTokensClaims({
      issuer: this.runtime.issuer,
      clientId: client.clientId,
      userPoolId: this.pool.userPoolId,
      username: user.username,
      email: user.email,
      accessValiditySeconds,
      idValiditySeconds: tokenValiditySeconds(client, 'idToken'),
      originJti,
      now: this.clock.nowSeconds(),
    });
    const [accessToken, idToken] = await Promise.all([
      this.signer.sign(claims.access, 'access'),
      this.signer.sign(claims.id, 'id'),
    ]);
    return {
      AuthenticationResult: {
        AccessToken: accessToken,
        ExpiresIn: accessValiditySeconds,
        IdToken: idToken,
        TokenType: 'Bearer',
      },
      ChallengeParameters: {},
    };
  }
}
