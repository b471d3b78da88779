import { Inject, Injectable } from '@nestjs/common';
import { createHash, type KeyObject, randomUUID, sign } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { KeyStore, type KeyUse } from '../keys/key-store.js';

export interface ClientCredentialsClaimsInput {
  issuer: string;
  clientId: string;
  scopes: readonly string[];
  validitySeconds: number;
  /** Unix seconds. */
  now: number;
}

/** Claims of a Cognito client-credentials access token, in Cognito's order. No `aud`. */
export function clientCredentialsClaims(input: ClientCredentialsClaimsInput): JWTPayload {
  return {
    sub: input.clientId,
    token_use: 'access',
    scope: input.scopes.join(' '),
    auth_time: input.now,
    iss: input.issuer,
    exp: input.now + input.validitySeconds,
    iat: input.now,
    version: 2,
    jti: randomUUID(),
    client_id: input.clientId,
  };
}

export interface UserTokensClaimsInput {
  issuer: string;
  clientId: string;
  userPoolId: string;
  username: string;
  email: string | undefined;
  accessValiditySeconds: number;
  idValiditySeconds: number;
  /** Shared by every token of one sign-in (refreshes included): revocation finds them by it. */
  originJti: string;
  now: number;
}

/** Claims of the access and ID tokens InitiateAuth(USER_PASSWORD_AUTH) returns. */
export function userTokensClaims(input: UserTokensClaimsInput): {
  access: JWTPayload;
  id: JWTPayload;
} {
  const sub = stableUserSub(input.userPoolId, input.username);
  const originJti = input.originJti;
  const eventId = randomUUID();
  const times = (validity: number) => ({
    auth_time: input.now,
    exp: input.now + validity,
    iat: input.now,
  });
  return {
    access: {
      sub,
      iss: input.issuer,
      client_id: input.clientId,
      origin_jti: originJti,
      event_id: eventId,
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      ...times(input.accessValiditySeconds),
      jti: randomUUID(),
      username: input.username,
    },
    id: {
      sub,
      ...(input.email ? { email_verified: true } : {}),
      iss: input.issuer,
      'cognito:username': input.username,
      origin_jti: originJti,
      aud: input.clientId,
      event_id: eventId,
      token_use: 'id',
      ...times(input.idValiditySeconds),
      jti: randomUUID(),
      ...(input.email ? { email: input.email } : {}),
    },
  };
}

/** A user's `sub`: a UUID derived from pool and username, so it survives restarts. */
export function stableUserSub(userPoolId: string, username: string): string {
  const h = createHash('sha256').update(`${userPoolId}\0${username}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * Signs claims with the current key for their kind of token (access or ID, each with its
 * own key as Cognito does): RS256, header `{ kid, alg }`.
 *
 * The compact JWS is assembled here rather than by jose's `SignJWT`, which re-validates and
 * re-encodes the same protected header and converts the key on every call: the encoded
 * header is computed once per key, the key is Node's `KeyObject`, and the RSA signature
 * runs on libuv's thread pool (`crypto.sign` with a callback). RS256 (PKCS#1 v1.5) is
 * deterministic, so the result is byte for byte what `SignJWT` produces (the unit spec
 * compares them).
 */
@Injectable()
export class TokenSigner {
  private readonly headers = new WeakMap<KeyObject, string>();

  constructor(@Inject(KeyStore) private readonly keys: Pick<KeyStore, 'signing'>) {}

  sign(claims: JWTPayload, use: KeyUse = 'access'): Promise<string> {
    const { kid, privateKey } = this.keys.signing(use);
    let header = this.headers.get(privateKey);
    if (header === undefined) {
      header = base64url(JSON.stringify({ kid, alg: 'RS256' }));
      this.headers.set(privateKey, header);
    }
    const input = `${header}.${base64url(JSON.stringify(claims))}`;
    return new Promise((resolve, reject) => {
      sign('sha256', Buffer.from(input), privateKey, (err, signature) => {
        if (err) reject(err);
        else resolve(`${input}.${signature.toString('base64url')}`);
      });
    });
  }
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}
