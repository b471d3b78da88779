import { Injectable } from '@nestjs/common';

/** The time every service reads, injected so that tests can set it. */
@Injectable()
export class Clock {
  /** Unix milliseconds. */
  nowMs(): number {
    return Date.now();
  }

  /** Unix seconds, as JWT times and Cognito's dates are. */
  nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }
}
