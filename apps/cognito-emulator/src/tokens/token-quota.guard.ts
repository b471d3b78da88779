import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';

/**
 * `COGNITO_EMULATOR_TOKEN_RPS`: one requests-per-second quota for the whole token
 * endpoint, as Cognito's quota is per pool rather than per caller. Beyond it the
 * request gets 429 with `Retry-After` (seconds) before it is parsed or authenticated.
 * Without a quota (the module's `skipIf`), the request passes before any throttler work.
 */
@Injectable()
export class TokenQuotaGuard extends ThrottlerGuard {
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(this.commonOptions.skipIf?.(context) ?? false);
  }

  protected override getTracker(): Promise<string> {
    return Promise.resolve('token-endpoint');
  }
}
