export type CognitoIdpErrorType =
  | 'NotAuthorizedException'
  | 'InvalidParameterException'
  | 'ResourceNotFoundException'
  | 'UnknownOperationException'
  | 'SerializationException'
  | 'UserNotFoundException'
  | 'ScopeDoesNotExistException'
  | 'InvalidOAuthFlowException'
  | 'LimitExceededException';

/** A Cognito Identity Provider API error, rendered as 400 `{"__type","message"}`. */
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
}
