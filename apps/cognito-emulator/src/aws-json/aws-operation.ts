import type { Type } from '@nestjs/common';
import type { Shape } from './aws-shape.js';

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
  /** The answer to a parsed request; undefined answers `{}`. */
  answer(service: S, input: I): object | undefined | Promise<object | undefined>;
}

/** Operation name (the `X-Amz-Target` suffix) to its declaration. */
export type AwsOperations = Readonly<Record<string, AwsOperation>>;

/** Declares an operation, its service and input types inferred. */
export function operation<S, I>(declaration: AwsOperation<S, I>): AwsOperation<S, I> {
  return declaration;
}
