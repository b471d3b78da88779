// The rotation function's configuration, from its Lambda environment: what the stack sets and
// the function reads, without the AWS SDK (the CDK app imports it).

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
  const userPoolId = required(ROTATION_ENV.userPoolId);
  const clientId = required(ROTATION_ENV.clientId);
  const secretArn = required(ROTATION_ENV.secretArn);
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
  return { userPoolId, clientId, secretArn, check };
}
