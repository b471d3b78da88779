import { createHash } from 'node:crypto';
import { EntryCipher, type CacheIdentity } from './entry-cipher.js';

const identity: CacheIdentity = {
  source: 'https://fleet.auth.eu-west-1.amazoncognito.com/oauth2/token',
  clientId: 'weather-caller',
  scopes: ['weather-api/b', 'weather-api/a'],
  clientSecret: 'a-long-generated-client-secret-0123456789',
};
const token = { accessToken: 'eyJhbGciOi.header.sig', expiresAt: 2_000_000, refreshAt: 1_500_000 };

describe('EntryCipher', () => {
  it('names one entry per (token source, client, scope set, secret), whatever the scope order', () => {
    const a = new EntryCipher(identity);
    const b = new EntryCipher({
      ...identity,
      scopes: ['weather-api/a', 'weather-api/b', 'weather-api/a'],
    });
    expect(b.id).toBe(a.id);
    const others = [
      { ...identity, source: 'https://other/oauth2/token' },
      { ...identity, clientId: 'weather-admin' },
      { ...identity, scopes: ['weather-api/a'] },
      { ...identity, clientSecret: 'rotated-secret' },
    ].map((i) => new EntryCipher(i).id);
    expect(new Set([a.id, ...others]).size).toBe(5);
  });

  it('names another entry for other client metadata, and for the API transport; none keeps the name it had', () => {
    const plain = new EntryCipher(identity).id;
    // The name of an entry without metadata is what it was before metadata existed.
    const context = createHash('sha256')
      .update(
        JSON.stringify([identity.source, identity.clientId, ['weather-api/a', 'weather-api/b']]),
      )
      .digest('base64url');
    expect(plain.split('.')[0]).toBe(context);
    const tenantA = new EntryCipher({ ...identity, metadata: { tenant: 'a', region: 'eu' } });
    const sameA = new EntryCipher({ ...identity, metadata: { region: 'eu', tenant: 'a' } });
    const tenantB = new EntryCipher({ ...identity, metadata: { tenant: 'b', region: 'eu' } });
    const api = new EntryCipher({
      ...identity,
      source:
        'AWSCognitoIdentityProviderService.GetClientToken https://cognito-idp.eu-west-1.amazonaws.com/',
    });
    expect(sameA.id).toBe(tenantA.id);
    expect(new Set([plain, tenantA.id, tenantB.id, api.id]).size).toBe(4);
    // Sealed under one metadata value, it opens under no other.
    expect(tenantB.open(tenantA.seal(token))).toBeUndefined();
    expect(sameA.open(tenantA.seal(token))).toEqual(token);
  });

  it('puts neither the secret nor the client, URL or scopes in the entry name', () => {
    const { id } = new EntryCipher(identity);
    expect(id).toMatch(/^[\w-]{43}\.[\w-]{22}$/);
    for (const part of [identity.clientSecret, identity.clientId, 'amazoncognito', 'weather-api']) {
      expect(id).not.toContain(part);
    }
  });

  it('seals so that only the same secret and entry open it, with a fresh IV each time', () => {
    const cipher = new EntryCipher(identity);
    const sealed = cipher.seal(token);
    expect(sealed).not.toContain(token.accessToken);
    expect(sealed).not.toContain('eyJ');
    expect(cipher.seal(token)).not.toBe(sealed);
    expect(new EntryCipher(identity).open(sealed)).toEqual(token);

    // A wrong or rotated secret cannot read the entry, nor can another entry's key
    // (same secret, other scopes: the name is bound in as additional data).
    expect(new EntryCipher({ ...identity, clientSecret: 'wrong' }).open(sealed)).toBeUndefined();
    expect(
      new EntryCipher({ ...identity, scopes: ['weather-api/a'] }).open(sealed),
    ).toBeUndefined();
  });

  it('reads anything that is not its own sealed token as a miss', () => {
    const cipher = new EntryCipher(identity);
    const sealed = cipher.seal(token);
    const [version, iv, body, tag] = sealed.split('.');
    const flip = (part: string) => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[0] ^= 1;
      return bytes.toString('base64url');
    };
    for (const bad of [
      undefined,
      42,
      '',
      'not-an-entry',
      `v2.${iv}.${body}.${tag}`,
      `${version}.${flip(iv)}.${body}.${tag}`,
      `${version}.${iv}.${flip(body)}.${tag}`,
      `${version}.${iv}.${body}.${flip(tag)}`,
      `${version}.${iv}.${body.slice(0, -4)}.${tag}`,
      `${version}.${iv}.${body}`,
      JSON.stringify(token),
    ]) {
      expect(cipher.open(bad)).toBeUndefined();
    }
  });

  it('refuses sealed values that are not a token (empty token, non-finite times)', () => {
    const cipher = new EntryCipher(identity);
    expect(cipher.open(cipher.seal({ ...token, accessToken: '' }))).toBeUndefined();
    expect(cipher.open(cipher.seal({ ...token, expiresAt: Number.NaN }))).toBeUndefined();
  });
});
