import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import type { AwsOperations } from '../aws-json/aws-operation.js';
import { AWS_OPERATIONS } from '../emulator.tokens.js';

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';

/**
 * Marks a route that serves several AWS JSON operations: only the requests of those
 * declared with `tokenQuota` count against the quota.
 */
export const TokenQuotaByOperation = Reflector.createDecorator<true>();

/**
 * `COGNITO_EMULATOR_TOKEN_RPS`: one requests-per-second quota for every M2M token request,
 * `POST /oauth2/token` and GetClientToken alike, as Cognito's quota is per pool rather than
 * per caller. Beyond it a request gets 429 with `Retry-After` (seconds) before it is parsed
 * or authenticated: `too_many_requests` at the token endpoint, `TooManyRequestsException`
 * from the API. Without a quota (the module's `skipIf`), a request passes before any
 * throttler work.
 */
@Injectable()
export class TokenQuotaGuard extends ThrottlerGuard {
  @Inject(AWS_OPERATIONS) private readonly operations: AwsOperations;

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (this.commonOptions.skipIf?.(context)) return Promise.resolve(true);
    if (!this.reflector.get(TokenQuotaByOperation, context.getHandler())) {
      return Promise.resolve(false);
    }
    const target = context.switchToHttp().getRequest<FastifyRequest>().headers['x-amz-target'];
    const name =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : '';
    return Promise.resolve(
      !Object.hasOwn(this.operations, name) || !this.operations[name].tokenQuota,
    );
  }

  protected override getTracker(): Promise<string> {
    return Promise.resolve('token-requests');
  }

  /** One bucket for every route the guard covers. */
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    name: string,
  ): string {
    return `${name}-${tracker}`;
  }
}
