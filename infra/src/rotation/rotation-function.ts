// The Secrets Manager rotation function of one app client: configuration from the Lambda
// environment, Secrets Manager's event, and its steps run on the AWS backends. The Lambda
// entry point (rotation.handler.ts) builds it from process.env once, at cold start.
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CognitoApiClientSecrets,
  getClientTokenCheck,
  rotationVersionState,
  sdkClientConfig,
  SecretsManagerPublication,
} from './aws-backends.js';
import {
  ClientSecretRotation,
  ROTATION_STEPS,
  RotationError,
  type RotationEvent,
  type RotationStep,
  type SecretCheck,
} from './client-secret-rotation.js';
import { tokenEndpointCheck } from './token-endpoint-check.js';

/** How a rotation checks the new secret: at the token endpoint, or through GetClientToken. */
export type SecretCheckSetting = { kind: 'token-endpoint'; tokenUrl: string } | { kind: 'api' };

/** What the rotation function of one client is configured with (its Lambda environment). */
export interface RotationFunctionConfig {
  userPoolId: string;
  clientId: string;
  /** The one secret this function rotates; an event for another is refused. */
  secretArn: string;
  check: SecretCheckSetting;
}

/** A variable of the rotation function's environment is missing or wrong; names it, never a value. */
export class RotationConfigError extends Error {
  readonly code = 'invalid_rotation_config';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'RotationConfigError';
  }
}

/**
 * The environment variables the stack gives each rotation function: `USER_POOL_ID`,
 * `CLIENT_ID`, `SECRET_ARN`, `SECRET_CHECK` (`token-endpoint`, with `TOKEN_URL`, or `api`).
 */
export const ROTATION_ENV = {
  userPoolId: 'USER_POOL_ID',
  clientId: 'CLIENT_ID',
  secretArn: 'SECRET_ARN',
  check: 'SECRET_CHECK',
  tokenUrl: 'TOKEN_URL',
} as const;

/**
 * Reads and checks the rotation function's environment ({@link ROTATION_ENV}); throws
 * {@link RotationConfigError} naming the first bad variable.
 *
 * @example
 * ```ts
 * const config = rotationConfigFromEnv(process.env);
 * ```
 */
export function rotationConfigFromEnv(env: NodeJS.ProcessEnv): RotationFunctionConfig {
  const required = (name: string) => {
    const value = env[name]?.trim();
    if (!value) throw new RotationConfigError(name, `${name} is required`);
    return value;
  };
  const kind = env[ROTATION_ENV.check]?.trim() || 'token-endpoint';
  let check: SecretCheckSetting;
  if (kind === 'api') {
    check = { kind };
  } else if (kind === 'token-endpoint') {
    const tokenUrl = required(ROTATION_ENV.tokenUrl);
    if (!URL.canParse(tokenUrl) || !/^https?:$/.test(new URL(tokenUrl).protocol)) {
      throw new RotationConfigError(
        ROTATION_ENV.tokenUrl,
        `${ROTATION_ENV.tokenUrl} must be an http(s) URL`,
      );
    }
    check = { kind, tokenUrl };
  } else {
    throw new RotationConfigError(
      ROTATION_ENV.check,
      `${ROTATION_ENV.check} must be token-endpoint or api`,
    );
  }
  return {
    userPoolId: required(ROTATION_ENV.userPoolId),
    clientId: required(ROTATION_ENV.clientId),
    secretArn: required(ROTATION_ENV.secretArn),
    check,
  };
}

/** Secrets Manager's rotation event (the Lambda function's input). */
export interface SecretsManagerRotationEvent {
  SecretId: string;
  ClientRequestToken: string;
  Step: RotationStep;
  RotationToken?: string;
}

function rotationEvent(input: unknown): SecretsManagerRotationEvent {
  const event = (typeof input === 'object' && input !== null ? input : {}) as Record<
    string,
    unknown
  >;
  const text = (name: string) => typeof event[name] === 'string' && event[name] !== '';
  if (!text('SecretId') || !text('ClientRequestToken')) {
    throw new RotationError('rotation_not_pending', 'not a Secrets Manager rotation event');
  }
  if (!ROTATION_STEPS.includes(event.Step as RotationStep)) {
    throw new RotationError(
      'rotation_not_pending',
      `unknown rotation step (expected ${ROTATION_STEPS.join(', ')})`,
    );
  }
  return event as unknown as SecretsManagerRotationEvent;
}

/** The SDK clients a rotation function uses; their endpoints and credentials are the SDK's defaults. */
export interface RotationClients {
  cognito: CognitoIdentityProviderClient;
  secretsManager: SecretsManagerClient;
}

/**
 * The SDK clients with the rotation's deadlines and retries; `cognitoEndpoint` points Cognito's
 * elsewhere (the emulator).
 */
export function rotationClients(region?: string, cognitoEndpoint?: string): RotationClients {
  return {
    cognito: new CognitoIdentityProviderClient({
      region,
      ...(cognitoEndpoint && { endpoint: cognitoEndpoint }),
      ...sdkClientConfig(),
    }),
    secretsManager: new SecretsManagerClient({ region, ...sdkClientConfig() }),
  };
}

/** The secret check `setting` names, on `cognito` for the API. */
export function secretCheck(
  setting: SecretCheckSetting,
  cognito: CognitoIdentityProviderClient,
): SecretCheck {
  return setting.kind === 'api'
    ? getClientTokenCheck(cognito)
    : tokenEndpointCheck(setting.tokenUrl);
}

/** One JSON line per thing done, for CloudWatch Logs: ids and steps, never a secret. */
function logLine(level: 'info' | 'error', fields: Record<string, unknown>): void {
  const line = JSON.stringify({ level, msg: 'client secret rotation', ...fields });
  if (level === 'error') console.error(line);
  else console.log(line);
}

/**
 * The rotation function of one client: for each of Secrets Manager's steps, Secrets
 * Manager's own checks (rotation on, the event's version `AWSPENDING`; a version already
 * `AWSCURRENT` ends the step), then the step ({@link ClientSecretRotation}). A failed step
 * throws, which fails the rotation in Secrets Manager, after one log line with its code.
 *
 * @example
 * ```ts
 * export const handler = rotationFunction(rotationConfigFromEnv(process.env), rotationClients());
 * ```
 */
export function rotationFunction(
  config: RotationFunctionConfig,
  clients: RotationClients,
): (event: unknown) => Promise<void> {
  const check = secretCheck(config.check, clients.cognito);
  const cognito = new CognitoApiClientSecrets(clients.cognito, config.userPoolId, config.clientId);
  return async (input) => {
    const event = rotationEvent(input);
    const where = {
      clientId: config.clientId,
      step: event.Step,
      version: event.ClientRequestToken,
    };
    try {
      if (event.SecretId !== config.secretArn) {
        throw new RotationError(
          'client_mismatch',
          `this function rotates ${config.secretArn}, not ${event.SecretId}`,
        );
      }
      const state = await rotationVersionState(
        clients.secretsManager,
        event.SecretId,
        event.ClientRequestToken,
      );
      if (state === 'current') {
        logLine('info', { ...where, event: 'already_current' });
        return;
      }
      const publication = new SecretsManagerPublication(
        clients.secretsManager,
        event.SecretId,
        event.ClientRequestToken,
        config.clientId,
        { rotationToken: event.RotationToken },
      );
      const onEvent = (e: RotationEvent) => logLine('info', { ...where, ...e });
      await new ClientSecretRotation({
        clientId: config.clientId,
        publication,
        cognito,
        check,
        onEvent,
      }).step(event.Step);
    } catch (error) {
      const code =
        error instanceof RotationError ? error.code : ((error as Error).name ?? 'unknown');
      logLine('error', { ...where, code, message: (error as Error).message });
      throw error;
    }
  };
}
