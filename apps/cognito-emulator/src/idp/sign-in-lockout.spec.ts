import { Clock } from '../shared/clock.js';
import { MAX_LOCKOUT_SECONDS, MAX_TRACKED_USERS, SignInLockout } from './sign-in-lockout.js';

/** A clock that reads `now()`. */
const clockAt = (now: () => number): Clock => Object.assign(new Clock(), { nowMs: now });

describe('SignInLockout', () => {
  let now: number;
  let lockout: SignInLockout;
  /** How long alice's attempts are refused, probing every 100 ms (each probe an attempt). */
  const lockedFor = () => {
    let ms = 0;
    while (lockout.attempt('alice')) {
      now += 100;
      ms += 100;
    }
    return ms;
  };
  const fail = (n: number) => {
    for (let i = 0; i < n; i++) lockout.recordFailure('alice');
  };
  beforeEach(() => {
    now = 0;
    lockout = new SignInLockout(clockAt(() => now));
  });

  it('locks for 2^(n-5) s after n failures, at most about 15 minutes', () => {
    fail(4);
    expect(lockout.attempt('alice')).toBe(false);
    fail(1);
    expect(lockedFor()).toBe(1000);
    fail(1);
    expect(lockedFor()).toBe(2000);
    fail(1);
    expect(lockedFor()).toBe(4000);
    fail(20);
    expect(lockedFor()).toBe(MAX_LOCKOUT_SECONDS * 1000);
  });

  it('resets after 15 minutes without any attempt after a lockout; refused attempts keep it', () => {
    fail(6);
    // Probing all through the 2 s lockout and the quiet period that follows it: every
    // probe is an attempt, so 15 minutes after the first probe the count still stands.
    for (let t = 0; t < MAX_LOCKOUT_SECONDS * 1000; t += 60_000) {
      lockout.attempt('alice');
      now += 60_000;
    }
    fail(1);
    expect(lockedFor()).toBe(4000);
    // Now 15 quiet minutes: a fresh count (the next failure is the first of five).
    now += MAX_LOCKOUT_SECONDS * 1000;
    fail(1);
    expect(lockout.attempt('alice')).toBe(false);
  });

  it('keeps failures that never reached a lockout until a successful sign-in', () => {
    fail(4);
    now += 24 * 3600 * 1000;
    fail(1);
    expect(lockedFor()).toBe(1000);
    lockout.recordSuccess('alice');
    fail(4);
    expect(lockout.attempt('alice')).toBe(false);
  });

  it('keeps at most MAX_TRACKED_USERS usernames', () => {
    const bounded = new SignInLockout(clockAt(() => 0));
    for (let i = 0; i < 5; i++) bounded.recordFailure('a');
    expect(bounded.attempt('a')).toBe(true);
    for (let i = 0; i < 5; i++) bounded.recordFailure('b');
    for (let i = 0; i < MAX_TRACKED_USERS; i++) bounded.recordFailure(`user-${i}`);
    expect(bounded.attempt('b')).toBe(false);
  });
});
