// The rotation's backends on AWS, through the AWS SDK v3: the client's secrets in Cognito, the
// secret callers read in Secrets Manager, and a secret check through GetClientToken. Each call
// has a deadline (`timeoutMs`, retries included) and the SDK's own retries (3 attempts).
import {
  AddUserPoolClientSecretCommand,
  type CognitoIdentityProviderClient,
  DeleteUserPoolClientSecretCommand,
  GetClientTokenCommand,
  ListUserPoolClientSecretsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  type CognitoClientSecrets,
  type CognitoSecretDescriptor,
  formatPublishedSecret,
  parsePublishedSecret,
  type PublishedClientSecret,
  RotationError,
  type SecretCheck,
  type SecretPublication,
} from './client-secret-rotation.js';

/** Deadline of one SDK call, its retries included, unless a caller gives another. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/**
 * What both SDK clients are built with: 3 attempts, and connect and socket deadlines within
 * `timeoutMs` (the whole call is also aborted at `timeoutMs`).
 */
export const sdkClientConfig = (timeoutMs = DEFAULT_CALL_TIMEOUT_MS) => ({
  maxAttempts: 3,
  requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
});

const deadline = (timeoutMs: number) => ({ abortSignal: AbortSignal.timeout(timeoutMs) });

/**
 * An app client's secrets in a Cognito user pool: `ListUserPoolClientSecrets`,
 * `AddUserPoolClientSecret` (no `ClientSecret`: Cognito generates it) and
 * `DeleteUserPoolClientSecret`, which is all the IAM the rotation needs on the pool.
 */
export class CognitoApiClientSecrets implements CognitoClientSecrets {
  constructor(
    private readonly cognito: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
    private readonly clientId: string,
    private readonly timeoutMs = DEFAULT_CALL_TIMEOUT_MS,
  ) {}

  async list(): Promise<CognitoSecretDescriptor[]> {
    const out: CognitoSecretDescriptor[] = [];
    let next: string | undefined;
    // Cognito keeps at most two, answered at once; a few pages are already more than enough.
    for (let page = 0; page < 5; page++) {
      const answer = await this.cognito.send(
        new ListUserPoolClientSecretsCommand({
          UserPoolId: this.userPoolId,
          ClientId: this.clientId,
          NextToken: next,
        }),
        deadline(this.timeoutMs),
      );
      for (const s of answer.ClientSecrets ?? []) {
        if (s.ClientSecretId) {
          out.push({ id: s.ClientSecretId, createdAt: s.ClientSecretCreateDate ?? new Date(0) });
        }
      }
      next = answer.NextToken;
      if (!next) break;
    }
    return out;
  }

  async add(): Promise<{ id: string; value: string }> {
    const { ClientSecretDescriptor: added } = await this.cognito.send(
      new AddUserPoolClientSecretCommand({ UserPoolId: this.userPoolId, ClientId: this.clientId }),
      deadline(this.timeoutMs),
    );
    if (!added?.ClientSecretId || !added.ClientSecretValue) {
      throw new Error(
        `AddUserPoolClientSecret answered no secret id or value for ${this.clientId}`,
      );
    }
    return { id: added.ClientSecretId, value: added.ClientSecretValue };
  }

  async delete(id: string): Promise<void> {
    await this.cognito.send(
      new DeleteUserPoolClientSecretCommand({
        UserPoolId: this.userPoolId,
        ClientId: this.clientId,
        ClientSecretId: id,
      }),
      deadline(this.timeoutMs),
    );
  }
}

/**
 * A secret check through `GetClientToken`, for clients whose flow is `ALLOW_CLIENT_TOKEN_AUTH`
 * (no IAM: Cognito authorizes it by the client's secret).
 */
export function getClientTokenCheck(
  cognito: CognitoIdentityProviderClient,
  timeoutMs = DEFAULT_CALL_TIMEOUT_MS,
): SecretCheck {
  return async (clientId, clientSecret) => {
    let answer;
    try {
      answer = await cognito.send(
        new GetClientTokenCommand({ ClientId: clientId, Secret: clientSecret }),
        deadline(timeoutMs),
      );
    } catch (error) {
      // The SDK's error name (NotAuthorizedException, ...), never its message.
      throw new Error(`GetClientToken failed: ${(error as Error).name}`);
    }
    if (!answer.ClientAuthenticationResult?.AccessToken) {
      throw new Error('GetClientToken answered no access token');
    }
  };
}

/** Secrets Manager's staging labels that a rotation moves. */
const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';

/**
 * Where a rotation stands for Secrets Manager, checked before each step as its rotation
 * template does: rotation is on, `token` is a version of the secret, and it is `AWSPENDING`
 * (`'pending'`: go on) or already `AWSCURRENT` (`'current'`: this step has nothing to do).
 */
export async function rotationVersionState(
  sm: SecretsManagerClient,
  secretId: string,
  token: string,
  timeoutMs = DEFAULT_CALL_TIMEOUT_MS,
): Promise<'pending' | 'current'> {
  const described = await sm.send(
    new DescribeSecretCommand({ SecretId: secretId }),
    deadline(timeoutMs),
  );
  if (!described.RotationEnabled) {
    throw new RotationError('rotation_not_pending', `secret ${secretId}: rotation is not enabled`);
  }
  const stages = described.VersionIdsToStages?.[token];
  if (!stages) {
    throw new RotationError(
      'rotation_not_pending',
      `secret ${secretId} has no version ${token} to rotate to`,
    );
  }
  if (stages.includes(CURRENT)) return 'current';
  if (!stages.includes(PENDING)) {
    throw new RotationError(
      'rotation_not_pending',
      `secret ${secretId}: version ${token} is not ${PENDING}`,
    );
  }
  return 'pending';
}

/**
 * A Secrets Manager secret as one rotation (version `token`) sees it: callers read
 * `AWSCURRENT`; the new secret is version `token` staged `AWSPENDING`; promoting it moves
 * `AWSCURRENT` there, and Secrets Manager gives the version it left `AWSPREVIOUS`.
 */
export class SecretsManagerPublication implements SecretPublication {
  constructor(
    private readonly sm: SecretsManagerClient,
    private readonly secretId: string,
    private readonly token: string,
    private readonly clientId: string,
    private readonly options: { rotationToken?: string; timeoutMs?: number } = {},
  ) {}

  current(): Promise<PublishedClientSecret | undefined> {
    return this.read({ VersionStage: CURRENT });
  }

  pending(): Promise<PublishedClientSecret | undefined> {
    return this.read({ VersionId: this.token, VersionStage: PENDING });
  }

  async putPending(next: PublishedClientSecret): Promise<void> {
    await this.sm.send(
      new PutSecretValueCommand({
        SecretId: this.secretId,
        ClientRequestToken: this.token,
        SecretString: formatPublishedSecret(next),
        VersionStages: [PENDING],
        RotationToken: this.options.rotationToken,
      }),
      deadline(this.timeoutMs),
    );
  }

  async promote(): Promise<void> {
    const described = await this.sm.send(
      new DescribeSecretCommand({ SecretId: this.secretId }),
      deadline(this.timeoutMs),
    );
    const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) =>
      stages.includes(CURRENT),
    )?.[0];
    if (current === this.token) return;
    await this.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: this.secretId,
        VersionStage: CURRENT,
        MoveToVersionId: this.token,
        RemoveFromVersionId: current,
      }),
      deadline(this.timeoutMs),
    );
  }

  /** Whether a rotation is under way: `AWSPENDING` on a version other than `AWSCURRENT`'s. */
  async rotationInProgress(): Promise<boolean> {
    const described = await this.sm.send(
      new DescribeSecretCommand({ SecretId: this.secretId }),
      deadline(this.timeoutMs),
    );
    return Object.values(described.VersionIdsToStages ?? {}).some(
      (stages) => stages.includes(PENDING) && !stages.includes(CURRENT),
    );
  }

  private get timeoutMs(): number {
    return this.options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  private async read(version: {
    VersionId?: string;
    VersionStage: string;
  }): Promise<PublishedClientSecret | undefined> {
    try {
      const { SecretString } = await this.sm.send(
        new GetSecretValueCommand({ SecretId: this.secretId, ...version }),
        deadline(this.timeoutMs),
      );
      if (SecretString === undefined) {
        throw new RotationError(
          'invalid_published_secret',
          `secret ${this.secretId} holds binary data, not the client's JSON`,
        );
      }
      return parsePublishedSecret(SecretString, this.clientId);
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }
}
