import type { Type } from '@nestjs/common';
import type { Shape } from './aws-shape.js';

/** What an operation may know of the request beside its input. */
export interface AwsRequestContext {
  /** The AWS SDK's user agent (`x-amz-user-agent`, else `user-agent`), if any. */
  userAgent: string | undefined;
}

/**
 * One operation of the Cognito Identity Provider API on `POST /` (AWS JSON 1.1,
 * `X-Amz-Target: AWSCognitoIdentityProviderService.<name>`), as the registry declares it.
 */
export interface AwsOperation<S = unknown, I = unknown> {
  /** `data`: always served. `control`: only with COGNITO_EMULATOR_ADMIN=true (else unknown). */
  plane: 'data' | 'control';
  /** True: a success changes the pool, which is then saved to the state file (when one is set). */
  persists: boolean;
  /** The request's members and the API model's constraints on them. */
  input: Shape<I>;
  /** The Nest provider that answers it. */
  service: Type<S>;
  /**
   * True: a request counts against the token quota (COGNITO_EMULATOR_TOKEN_RPS), shared with
   * `/oauth2/token`.
   */
  tokenQuota?: boolean;
  /** The answer to a parsed request; undefined answers `{}`. */
  answer(
    service: S,
    input: I,
    context: AwsRequestContext,
  ): object | undefined | Promise<object | undefined>;
}

/** Operation name (the `X-Amz-Target` suffix) to its declaration. */
export type AwsOperations = Readonly<Record<string, AwsOperation>>;

/** Declares an operation, its service and input types inferred. */
export function operation<S, I>(declaration: AwsOperation<S, I>): AwsOperation<S, I> {
  return declaration;
}
