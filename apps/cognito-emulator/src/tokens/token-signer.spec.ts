import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { KeyStore } from '../keys/key-store.js';
import {
  clientCredentialsClaims,
  stableUserSub,
  TokenSigner,
  userTokensClaims,
} from './token-signer.js';

const issuer = 'http://127.0.0.1:4000/us-east-1_Weather01';

describe('client-credentials claims', () => {
  it('are exactly the Cognito set, with exp - iat = validity and no aud', () => {
    const claims = clientCredentialsClaims({
      issuer,
      clientId: 'weather-admin',
      scopes: ['weather-api/forecast.read', 'weather-api/forecast.write'],
      validitySeconds: 900,
      now: 1_700_000_000,
    });
    expect(Object.keys(claims).sort()).toEqual(
      [
        'auth_time',
        'client_id',
        'exp',
        'iat',
        'iss',
        'jti',
        'scope',
        'sub',
        'token_use',
        'version',
      ].sort(),
    );
    expect(claims).toMatchObject({
      sub: 'weather-admin',
      client_id: 'weather-admin',
      scope: 'weather-api/forecast.read weather-api/forecast.write',
      token_use: 'access',
      auth_time: 1_700_000_000,
      iat: 1_700_000_000,
      exp: 1_700_000_900,
      iss: issuer,
      version: 2,
    });
    expect(claims.jti).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe('user tokens claims', () => {
  it('give the access token the user scope and the ID token the client as aud', () => {
    const { access, id } = userTokensClaims({
      issuer,
      clientId: 'weather-web',
      userPoolId: 'us-east-1_Weather01',
      username: 'alice',
      email: 'alice@example.com',
      accessValiditySeconds: 3600,
      idValiditySeconds: 900,
      originJti: 'c0ffee00-0000-4000-8000-000000000000',
      now: 1_700_000_000,
    });
    expect(id.exp! - id.iat!).toBe(900);
    expect(access.exp! - access.iat!).toBe(3600);
    expect(access.origin_jti).toBe(id.origin_jti);
    expect(access).toMatchObject({
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      username: 'alice',
      client_id: 'weather-web',
    });
    expect(access).not.toHaveProperty('aud');
    expect(id).toMatchObject({
      token_use: 'id',
      aud: 'weather-web',
      email: 'alice@example.com',
      'cognito:username': 'alice',
      sub: access.sub,
    });
    expect(access.sub).toBe(stableUserSub('us-east-1_Weather01', 'alice'));
    expect(stableUserSub('us-east-1_Weather01', 'bob')).not.toBe(access.sub);
  });
});

describe('TokenSigner', () => {
  it('signs RS256 with exactly { kid, alg } in the header, verifiable with the JWKS', async () => {
    const keys = await KeyStore.open({ retentionSeconds: 3600 });
    const signer = new TokenSigner(keys);
    const token = await signer.sign({ sub: 'x', iss: issuer });
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ kid: keys.signing('access').kid, alg: 'RS256' });
    // ID tokens with their own key, as Cognito.
    const idToken = await signer.sign({ sub: 'x', iss: issuer }, 'id');
    expect(decodeProtectedHeader(idToken).kid).toBe(keys.signing('id').kid);
    expect(keys.signing('id').kid).not.toBe(keys.signing('access').kid);
    await jwtVerify(idToken, createLocalJWKSet(keys.jwks()), { issuer });
    const { payload } = await jwtVerify(token, createLocalJWKSet(keys.jwks()), {
      issuer,
      algorithms: ['RS256'],
    });
    expect(payload.sub).toBe('x');
  });

  it('produces exactly the token jose SignJWT produces with the same key and claims', async () => {
    const keys = await KeyStore.open({ retentionSeconds: 3600 });
    const signer = new TokenSigner(keys);
    const claims = clientCredentialsClaims({
      issuer,
      clientId: 'weather-caller',
      scopes: ['weather-api/forecast.read'],
      validitySeconds: 3600,
      now: 1_700_000_000,
    });
    const { kid, privateKey } = keys.signing('access');
    const fromJose = await new SignJWT(claims)
      .setProtectedHeader({ kid, alg: 'RS256' })
      .sign(privateKey);
    expect(await signer.sign(claims)).toBe(fromJose);
    // After a rotation the new key and its own header are used.
    await keys.rotate();
    const rotated = decodeProtectedHeader(await signer.sign(claims));
    expect(rotated.kid).toBe(keys.signing('access').kid);
    expect(rotated.kid).not.toBe(kid);
  });
});
