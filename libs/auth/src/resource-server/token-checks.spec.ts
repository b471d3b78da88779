import { TokenMalformedError, TokenNotYetValidError } from './resource-server.errors.js';
import { assertNoCriticalExtensions, assertTimeClaims } from './token-checks.js';

describe('assertNoCriticalExtensions', () => {
  it.each([[['x-custom']], [['b64']], [[]], ['b64']])('refuses crit %j', (crit) => {
    expect(() => assertNoCriticalExtensions({ alg: 'RS256', kid: 'k', crit, b64: false })).toThrow(
      new TokenMalformedError('the token has a crit header this server does not understand'),
    );
  });

  it('accepts a header without crit', () => {
    expect(() => assertNoCriticalExtensions({ alg: 'RS256', kid: 'k' })).not.toThrow();
  });
});

describe('assertTimeClaims', () => {
  const now = 1_800_000_000;
  const valid = { iat: now - 10, exp: now + 3600, nbf: now - 10 };

  it('accepts finite times and an iat within the clock tolerance', () => {
    expect(() => assertTimeClaims(valid, now, 5)).not.toThrow();
    expect(() => assertTimeClaims({ ...valid, iat: now + 5 }, now, 5)).not.toThrow();
    expect(() => assertTimeClaims({ exp: now + 1 }, now, 5)).not.toThrow();
  });

  it.each([
    ['exp', Infinity],
    ['exp', JSON.parse('1e400') as number],
    ['nbf', -Infinity],
    ['iat', Infinity],
    ['exp', '1800000000'],
    ['exp', undefined],
    ['iat', null],
  ])('refuses %s = %s', (name, value) => {
    expect(() => assertTimeClaims({ ...valid, [name]: value }, now, 5)).toThrow(
      new TokenMalformedError(`the token ${name} claim is not a finite number`),
    );
  });

  it('refuses an iat beyond the clock tolerance', () => {
    expect(() => assertTimeClaims({ ...valid, iat: now + 6 }, now, 5)).toThrow(
      new TokenNotYetValidError('the token was issued in the future (iat)'),
    );
  });
});
