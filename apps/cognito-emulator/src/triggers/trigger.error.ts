/**
 * The Cognito exceptions a failed Lambda trigger becomes, as the AWS JSON API answers them
 * (their messages as Cognito's answers are quoted in public issues): the function threw
 * (`UserLambdaValidationException` "PreTokenGeneration failed with error ..."), did not
 * answer in time (`UnexpectedLambdaException` "... invocation failed due to error Socket
 * timeout while invoking Lambda function."), or answered something Cognito cannot read
 * (`InvalidLambdaResponseException`).
 */
export type TriggerFailure =
  'UserLambdaValidationException' | 'UnexpectedLambdaException' | 'InvalidLambdaResponseException';

const CODES: Record<TriggerFailure, string> = {
  UserLambdaValidationException: 'trigger_failed',
  UnexpectedLambdaException: 'trigger_timeout',
  InvalidLambdaResponseException: 'invalid_trigger_response',
};

/** A pre token generation trigger refused a token: no token is issued. */
export class TriggerError extends Error {
  /** `trigger_failed`, `trigger_timeout` or `invalid_trigger_response`. */
  readonly code: string;

  constructor(
    /** The Cognito exception it is answered with (`GetClientToken`). */
    readonly failure: TriggerFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TriggerError';
    this.code = CODES[failure];
  }
}

/** The module a pool file names as its trigger cannot be used; start-up stops. */
export class TriggerModuleError extends Error {
  readonly code = 'invalid_trigger_module';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TriggerModuleError';
  }
}
