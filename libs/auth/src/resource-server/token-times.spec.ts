import {
  TokenExpiredError,
  TokenMalformedError,
  TokenNotYetValidError,
} from './resource-server.errors.js';
import { checkTokenTimes } from './token-times.js';

describe('checkTokenTimes', () => {
  const now = 1_800_000_000;
  const valid = { iat: now - 10, exp: now + 3600, nbf: now - 10 };
  const failure = (claims: Record<string, unknown>) => {
    try {
      checkTokenTimes(claims, now, 5);
    } catch (err) {
      return err as Error;
    }
    throw new Error('accepted');
  };

  it('returns exp of finite times within the clock tolerance', () => {
    expect(checkTokenTimes(valid, now, 5)).toBe(now + 3600);
    expect(checkTokenTimes({ ...valid, iat: now + 5, nbf: now + 5 }, now, 5)).toBe(now + 3600);
    expect(checkTokenTimes({ exp: now - 4 }, now, 5)).toBe(now - 4);
  });

  it.each([
    ['exp', Infinity],
    ['exp', JSON.parse('1e400') as number],
    ['exp', '1800000000'],
    ['exp', undefined],
    ['nbf', -Infinity],
    ['iat', Infinity],
    ['iat', null],
  ])('refuses %s = %s as malformed', (name, value) => {
    const err = failure({ ...valid, [name]: value });
    expect(err).toBeInstanceOf(TokenMalformedError);
    expect(err.message).toBe(`the token ${name} claim is not a finite number`);
  });

  it('refuses an iat beyond the clock tolerance', () => {
    const err = failure({ ...valid, iat: now + 6 });
    expect(err).toBeInstanceOf(TokenNotYetValidError);
    expect(err.message).toBe('the token was issued in the future (iat)');
  });

  it('refuses an nbf beyond the tolerance and an exp past it', () => {
    expect(failure({ ...valid, nbf: now + 6 })).toBeInstanceOf(TokenNotYetValidError);
    expect(failure({ ...valid, exp: now - 5 })).toBeInstanceOf(TokenExpiredError);
  });
});
