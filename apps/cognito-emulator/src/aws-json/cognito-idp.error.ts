export type CognitoIdpErrorType =
  | 'NotAuthorizedException'
  | 'TooManyRequestsException'
  | 'UserLambdaValidationException'
  | 'UnexpectedLambdaException'
  | 'InvalidLambdaResponseException'
  | 'InvalidParameterException'
  | 'ResourceNotFoundException'
  | 'UnknownOperationException'
  | 'SerializationException'
  | 'UserNotFoundException'
  | 'ScopeDoesNotExistException'
  | 'InvalidOAuthFlowException'
  | 'LimitExceededException';

/**
 * A Cognito Identity Provider API error, rendered as `{"__type","message"}` with the HTTP
 * status of the API model (`TooManyRequestsException` 429, every other modelled one 400).
 */
export class CognitoIdpError extends Error {
  constructor(
    readonly type: CognitoIdpErrorType,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CognitoIdpError';
  }

  get code(): CognitoIdpErrorType {
    return this.type;
  }

  get status(): 400 | 429 {
    return this.type === 'TooManyRequestsException' ? 429 : 400;
  }
}
