import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../shared/clock.js';

/** Failed sign-ins before the first lockout, as Cognito documents. */
export const FREE_ATTEMPTS = 5;
/** The longest lockout ("approximately 15 minutes") and the quiet time that ends one. */
export const MAX_LOCKOUT_SECONDS = 900;
/** Usernames tracked at most; the least recently tried is forgotten first. */
export const MAX_TRACKED_USERS = 10_000;

interface Attempts {
  /** Failed sign-ins counted so far (attempts refused during a lockout do not count). */
  failures: number;
  /** Unix milliseconds until which every attempt is refused. */
  lockedUntil: number;
  /** Unix milliseconds of the last attempt of any kind, refused ones included. */
  lastAttemptAt: number;
}

/**
 * Cognito's lockout for failed password sign-ins ("Lockout behavior for failed sign-in
 * attempts", Amazon Cognito developer guide): after 5 failures the user is locked out for
 * 1 s, and every further failure doubles it (2^(n-5) s for n failures), up to about 15
 * minutes. Attempts during a lockout are refused with "Password attempts exceeded" and do
 * not lengthen it. The count goes back to 0 when the user signs in successfully after a
 * lockout has expired, or makes no sign-in attempt at all for 15 minutes at any time after
 * a lockout (a refused attempt is an attempt). The guide is silent on failures that never
 * reached a lockout; here they are cumulative until a successful sign-in.
 *
 * Tracks at most {@link MAX_TRACKED_USERS} usernames, so a flood of invented usernames costs
 * bounded memory.
 */
@Injectable()
export class SignInLockout {
  private readonly users = new Map<string, Attempts>();

  constructor(@Inject(Clock) private readonly clock: Clock) {}

  /**
   * Records an attempt by `username` and says whether it must be refused unchecked
   * ("Password attempts exceeded"): true while a lockout lasts.
   */
  attempt(username: string): boolean {
    const now = this.clock.nowMs();
    const entry = this.current(username, now);
    if (!entry) return false;
    entry.lastAttemptAt = now;
    this.touch(username, entry);
    return now < entry.lockedUntil;
  }

  recordFailure(username: string): void {
    const now = this.clock.nowMs();
    const entry = this.current(username, now) ?? { failures: 0, lockedUntil: 0, lastAttemptAt: 0 };
    entry.failures += 1;
    entry.lastAttemptAt = now;
    if (entry.failures >= FREE_ATTEMPTS) {
      const seconds = Math.min(2 ** (entry.failures - FREE_ATTEMPTS), MAX_LOCKOUT_SECONDS);
      entry.lockedUntil = now + seconds * 1000;
    }
    this.touch(username, entry);
  }

  recordSuccess(username: string): void {
    this.users.delete(username);
  }

  /** The entry, or undefined once 15 quiet minutes after a lockout have reset it. */
  private current(username: string, now: number): Attempts | undefined {
    const entry = this.users.get(username);
    const lockedOnce = entry !== undefined && entry.failures >= FREE_ATTEMPTS;
    if (lockedOnce && now - entry.lastAttemptAt >= MAX_LOCKOUT_SECONDS * 1000) {
      this.users.delete(username);
      return undefined;
    }
    return entry;
  }

  private touch(username: string, entry: Attempts): void {
    this.users.delete(username);
    this.users.set(username, entry);
    if (this.users.size > MAX_TRACKED_USERS) this.users.delete(this.users.keys().next().value!);
  }
}
