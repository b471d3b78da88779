/** Failed sign-ins before the first lockout, as Cognito documents. */
export const FREE_ATTEMPTS = 5;
/** The longest lockout ("about 15 minutes") and the quiet time that forgets failures. */
export const MAX_LOCKOUT_SECONDS = 900;

interface Attempts {
  /** Failed sign-ins counted so far (attempts refused during a lockout do not count). */
  failures: number;
  /** Unix milliseconds until which every attempt is refused. */
  lockedUntil: number;
  lastAttemptAt: number;
}

/**
 * Cognito's lockout for failed password sign-ins: after 5 failures the user is locked out
 * for 1 s, and every further failure doubles it (2^(n-5) s for n failures), up to about
 * 15 minutes. Attempts during a lockout are refused with "Password attempts exceeded" and
 * do not lengthen it; a successful sign-in after it, or 15 quiet minutes, resets the count.
 *
 * Tracks at most `maxUsers` usernames (the oldest is forgotten first), so a flood of
 * invented usernames costs bounded memory.
 */
export class SignInLockout {
  private readonly users = new Map<string, Attempts>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxUsers = 10_000,
  ) {}

  /** True while `username` is locked out: the attempt must be refused without checking. */
  isLockedOut(username: string): boolean {
    const entry = this.current(username);
    return entry !== undefined && this.now() < entry.lockedUntil;
  }

  recordFailure(username: string): void {
    const now = this.now();
    const entry = this.current(username) ?? { failures: 0, lockedUntil: 0, lastAttemptAt: now };
    entry.failures += 1;
    entry.lastAttemptAt = now;
    if (entry.failures >= FREE_ATTEMPTS) {
      const seconds = Math.min(2 ** (entry.failures - FREE_ATTEMPTS), MAX_LOCKOUT_SECONDS);
      entry.lockedUntil = now + seconds * 1000;
    }
    this.users.delete(username);
    this.users.set(username, entry);
    if (this.users.size > this.maxUsers) {
      this.users.delete(this.users.keys().next().value!);
    }
  }

  recordSuccess(username: string): void {
    this.users.delete(username);
  }

  /** The entry, or undefined once 15 quiet minutes have reset it. */
  private current(username: string): Attempts | undefined {
    const entry = this.users.get(username);
    if (entry && this.now() - entry.lastAttemptAt >= MAX_LOCKOUT_SECONDS * 1000) {
      this.users.delete(username);
      return undefined;
    }
    return entry;
  }
}
