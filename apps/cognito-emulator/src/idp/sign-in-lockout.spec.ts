import { MAX_LOCKOUT_SECONDS, SignInLockout } from './sign-in-lockout.js';

describe('SignInLockout', () => {
  it('locks for 2^(n-5) s after n failures, at most ~15 minutes, and resets after 15 quiet minutes', () => {
    let now = 0;
    const lockout = new SignInLockout(() => now);
    const lockedFor = () => {
      let ms = 0;
      while (lockout.isLockedOut('alice')) {
        now += 100;
        ms += 100;
      }
      return ms;
    };
    for (let i = 0; i < 4; i++) lockout.recordFailure('alice');
    expect(lockout.isLockedOut('alice')).toBe(false);
    lockout.recordFailure('alice');
    expect(lockedFor()).toBe(1000);
    lockout.recordFailure('alice');
    expect(lockedFor()).toBe(2000);
    lockout.recordFailure('alice');
    expect(lockedFor()).toBe(4000);
    for (let i = 0; i < 20; i++) lockout.recordFailure('alice');
    expect(lockedFor()).toBe(MAX_LOCKOUT_SECONDS * 1000);
    // 15 quiet minutes after the last attempt: a fresh count.
    lockout.recordFailure('alice');
    now += MAX_LOCKOUT_SECONDS * 1000;
    lockout.recordFailure('alice');
    expect(lockout.isLockedOut('alice')).toBe(false);
  });

  it('forgets a user on success, and keeps at most maxUsers usernames', () => {
    const lockout = new SignInLockout(() => 0, 2);
    for (let i = 0; i < 5; i++) lockout.recordFailure('a');
    expect(lockout.isLockedOut('a')).toBe(true);
    lockout.recordSuccess('a');
    expect(lockout.isLockedOut('a')).toBe(false);
    for (let i = 0; i < 5; i++) lockout.recordFailure('b');
    lockout.recordFailure('c');
    lockout.recordFailure('d');
    expect(lockout.isLockedOut('b')).toBe(false);
  });
});
