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
import type { RotationFunctionConfig, SecretCheckSetting } from './rotation-config.js';
import { tokenEndpointCheck } from './token-endpoint-check.js';

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
