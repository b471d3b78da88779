import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { generateKeyPair, SignJWT, exportJWK, jwtVerify, createLocalJWKSet } from 'jose';
import jwksRsa from 'jwks-rsa';

@Injectable()
class Dep {
  value = 42;
}
@Injectable()
class NeedsDep {
  constructor(readonly dep: Dep) {}
}
@Module({ providers: [Dep, NeedsDep] })
class M {}

describe('toolchain', () => {
  it('injects by emitted decorator metadata', async () => {
    const ref = await Test.createTestingModule({ imports: [M] }).compile();
    expect(ref.get(NeedsDep).dep.value).toBe(42);
  });
  it('loads jose 6 (ESM) and jwks-rsa 4', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
    const jwt = await new SignJWT({ a: 1 })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .sign(privateKey);
    const { payload } = await jwtVerify(jwt, createLocalJWKSet({ keys: [jwk] }));
    expect(payload.a).toBe(1);
    expect(typeof jwksRsa.passportJwtSecret).toBe('function');
  });
});
