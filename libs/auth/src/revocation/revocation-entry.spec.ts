import {
  decodeEntry,
  encodeEntry,
  ENTRY_GRACE_SECONDS,
  entryOf,
  MAX_TOKEN_LIFETIME_SECONDS,
} from './revocation-entry.js';
import { RevocationInputError } from './revocation.errors.js';

const NOW = 1_900_000_000_000;
const now = NOW / 1000;

describe('entryOf', () => {
  it('revokes a jti until its exp (plus a grace), or for a day when exp is unknown', () => {
    expect(entryOf({ jti: 'a1b2-c3' }, NOW)).toEqual({
      kind: 'jti',
      jti: 'a1b2-c3',
      expiresAt: now + MAX_TOKEN_LIFETIME_SECONDS + ENTRY_GRACE_SECONDS,
    });
    expect(entryOf({ jti: 'a1b2-c3', expiresAt: new Date(NOW + 600_000) }, NOW).expiresAt).toBe(
      now + 600 + ENTRY_GRACE_SECONDS,
    );
    // No token outlives a day: neither does its entry.
    expect(entryOf({ jti: 'x', expiresAt: NOW + 10 * 86_400_000 }, NOW).expiresAt).toBe(
      now + MAX_TOKEN_LIFETIME_SECONDS + ENTRY_GRACE_SECONDS,
    );
  });

  it("revokes a client's tokens issued until now, or until a given time, for a day after it", () => {
    expect(entryOf({ clientId: 'weather-caller' }, NOW)).toEqual({
      kind: 'client',
      clientId: 'weather-caller',
      before: now,
      expiresAt: now + MAX_TOKEN_LIFETIME_SECONDS + ENTRY_GRACE_SECONDS,
    });
    const before = new Date(NOW - 3_600_000);
    expect(entryOf({ clientId: 'abc123', before }, NOW)).toMatchObject({ before: now - 3600 });
  });

  it.each([
    [{}, 'request'],
    [{ jti: 'x', clientId: 'y' }, 'request'],
    [{ jti: '' }, 'jti'],
    [{ jti: 'has space' }, 'jti'],
    [{ jti: 'x'.repeat(129) }, 'jti'],
    [{ jti: 'x', expiresAt: Number.NaN }, 'expiresAt'],
    [{ jti: 'x', expiresAt: new Date(NOW - 3_600_000) }, 'expiresAt'],
    [{ clientId: '' }, 'clientId'],
    [{ clientId: 'weather caller' }, 'clientId'],
    [{ clientId: 'a/b' }, 'clientId'],
    [{ clientId: 'x'.repeat(129) }, 'clientId'],
    [{ clientId: 'c', before: new Date('not a date') }, 'before'],
    [{ clientId: 'c', before: NOW + 3_600_000 }, 'before'],
    [{ clientId: 'c', before: NOW - 86_401_000 }, 'before'],
  ])('refuses %o, naming %s', (request, field) => {
    const attempt = () => entryOf(request as never, NOW);
    expect(attempt).toThrow(RevocationInputError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'invalid_revocation', field }));
  });
});

describe('encodeEntry and decodeEntry', () => {
  it('round-trip every kind of entry', () => {
    for (const entry of [
      entryOf({ jti: '4d2c-9b1e' }, NOW),
      entryOf({ clientId: 'weather-caller' }, NOW),
    ]) {
      expect(decodeEntry(encodeEntry(entry), entry.expiresAt)).toEqual(entry);
    }
  });

  it('take nothing that is not an entry (a store holds what anyone wrote)', () => {
    for (const member of [
      '',
      'jti:',
      'jti:has space',
      'client:a b:1',
      'client:x:',
      'client:x:1e9',
      'other',
    ]) {
      expect(decodeEntry(member, now)).toBeUndefined();
    }
    expect(decodeEntry('jti:x', Number.NaN)).toBeUndefined();
  });
});
