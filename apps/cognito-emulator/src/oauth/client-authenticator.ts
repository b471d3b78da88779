import type { PoolClient } from '@app/fleet-auth';
import { timingSafeEqual } from 'node:crypto';
import { sha256, type PoolStore } from '../pool/pool-store.js';
import { OAuthError } from './oauth.error.js';

export interface ClientCredentialsPresented {
  /** The raw Authorization header, if any. */
  authorization: string | undefined;
  /** `client_id` from the form body. */
  bodyClientId: string | undefined;
  /** `client_secret` from the form body. */
  bodyClientSecret: string | undefined;
}

/** Compares a presented secret with an expected one's SHA-256 digest, in constant time. */
function matchesDigest(presented: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(sha256(presented), expectedDigest);
}

/** Compares secrets in constant time (SHA-256 digests, so lengths never leak). */
export function secretsEqual(presented: string, expected: string): boolean {
  return matchesDigest(presented, sha256(expected));
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
// A well-formed secret to compare against for unknown clients, so they cost the same.
const DUMMY_DIGEST = sha256('x'.repeat(52));

/** One reading of Basic credentials: an id and a secret. */
export interface BasicCredentials {
  id: string;
  secret: string;
}

/** `application/x-www-form-urlencoded` decoding of one value; undefined when malformed. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * Splits `Basic base64(id:secret)` at the first colon; a malformed header is
 * `invalid_request`. Returns two readings: the id and secret as they are (what Cognito
 * documents, `Base64Encode(client_id:client_secret)`, and what `@app/auth` sends) and
 * form-decoded (RFC 6749 §2.3.1, what oauth4webapi and openid-client send). The second
 * is the first again when decoding changes nothing or is impossible.
 */
export function parseBasic(header: string): [BasicCredentials, BasicCredentials] {
  const match = /^Basic[ ]+(\S+)[ ]*$/i.exec(header);
  if (!match) {
    throw new OAuthError(
      'invalid_request',
      'Authorization header must be "Basic base64(client_id:client_secret)"',
    );
  }
  const encoded = match[1];
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) {
    throw new OAuthError('invalid_request', 'Authorization header is not valid base64');
  }
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) {
    throw new OAuthError('invalid_request', 'Basic credentials must be "client_id:client_secret"');
  }
  const raw = { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  const id = formDecode(raw.id);
  const secret = formDecode(raw.secret);
  return [raw, id === undefined || secret === undefined || id === '' ? raw : { id, secret }];
}

/**
 * Authenticates the client of a token or revocation request by client_secret_basic or
 * client_secret_post (never both). A public client may present only its id.
 */
export class ClientAuthenticator {
  constructor(private readonly pool: PoolStore) {}

  authenticate(presented: ClientCredentialsPresented): PoolClient {
    let readings: readonly (BasicCredentials | { id: string | undefined; secret?: string })[];
    if (presented.authorization !== undefined) {
      if (presented.bodyClientSecret !== undefined) {
        throw new OAuthError(
          'invalid_request',
          'use one client authentication method: Authorization header or client_secret in the body, not both',
        );
      }
      readings = parseBasic(presented.authorization);
      const bodyId = presented.bodyClientId;
      if (bodyId !== undefined && readings.every((r) => r.id !== bodyId)) {
        throw new OAuthError(
          'invalid_request',
          'client_id in the body differs from the Basic credentials',
        );
      }
    } else {
      const one = { id: presented.bodyClientId, secret: presented.bodyClientSecret };
      readings = [one, one];
    }
    if (readings[0].id === undefined) {
      throw new OAuthError('invalid_client', 'client authentication is required');
    }
    // Both readings are always compared (against a dummy digest for unknown and public
    // clients), so neither the encoding nor the existence of a client shows in the timing.
    const outcomes = readings.map((r) => {
      const client = r.id === undefined ? undefined : this.pool.client(r.id);
      const expected = (r.id !== undefined && this.pool.secretDigest(r.id)) || DUMMY_DIGEST;
      const matches = r.secret !== undefined && matchesDigest(r.secret, expected);
      return { client, secret: r.secret, matches };
    });
    const known = outcomes.find((o) => o.client !== undefined);
    if (!known?.client) throw new OAuthError('invalid_client', 'client authentication failed');
    const { client } = known;
    if (client.clientSecret === null) {
      if (known.secret !== undefined) {
        throw new OAuthError('invalid_client', 'client authentication failed', client.clientId);
      }
      return client;
    }
    const accepted = outcomes.find((o) => o.client?.clientSecret && o.matches);
    if (!accepted?.client) {
      throw new OAuthError('invalid_client', 'client authentication failed', client.clientId);
    }
    return accepted.client;
  }
}
