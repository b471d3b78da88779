import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';

/**
 * `COGNITO_EMULATOR_TOKEN_RPS`: one requests-per-second quota for the whole token
 * endpoint, as Cognito's quota is per pool rather than per caller. Beyond it the
 * request gets 429 with `Retry-After` (seconds) before it is parsed or authenticated.
 */
@Injectable()
export class TokenQuotaGuard extends ThrottlerGuard {
  protected override getTracker(): Promise<string> {
    return Promise.resolve('token-endpoint');
  }
}
