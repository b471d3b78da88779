import { createHash, timingSafeEqual } from 'node:crypto';
import type { Pool, PoolClient } from '../pool/pool.schema.js';
import { OAuthError } from './oauth.error.js';

export interface ClientCredentialsPresented {
  /** The raw Authorization header, if any. */
  authorization: string | undefined;
  /** `client_id` from the form body. */
  bodyClientId: string | undefined;
  /** `client_secret` from the form body. */
  bodyClientSecret: string | undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Compares a presented secret with an expected one's SHA-256 digest, in constant time. */
function matchesDigest(presented: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(digest(presented), expectedDigest);
}

/** Compares secrets in constant time (SHA-256 digests, so lengths never leak). */
export function secretsEqual(presented: string, expected: string): boolean {
  return matchesDigest(presented, digest(expected));
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
// A well-formed secret to compare against for unknown clients, so they cost the same.
const DUMMY_SECRET = 'x'.repeat(52);
const DUMMY_DIGEST = digest(DUMMY_SECRET);

/**
 * Splits `Basic base64(id:secret)`; a malformed header is `invalid_request`. The id and
 * secret are taken as they are, NOT form-urldecoded: Cognito documents
 * `Base64Encode(client_id:client_secret)` and refuses the RFC 6749 §2.3.1 encoded form,
 * and the M2M client in `@nest-m2m-cognito/auth/client` sends them the same way.
 */
export function parseBasic(header: string): { id: string; secret: string } {
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
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/**
 * Authenticates the client of a token request by client_secret_basic or
 * client_secret_post (never both). A public client may present only its id.
 */
export class ClientAuthenticator {
  private readonly clients: Map<string, PoolClient>;
  /** SHA-256 of each confidential client's secret, computed once (not per request). */
  private readonly secretDigests: Map<string, Buffer>;

  constructor(pool: Pool) {
    this.clients = new Map(pool.clients.map((c) => [c.clientId, c]));
    this.secretDigests = new Map(
      pool.clients.flatMap((c) =>
        c.clientSecret === null ? [] : [[c.clientId, digest(c.clientSecret)] as const],
      ),
    );
  }

  authenticate(presented: ClientCredentialsPresented): PoolClient {
    let id: string | undefined;
    let secret: string | undefined;
    if (presented.authorization !== undefined) {
      if (presented.bodyClientSecret !== undefined) {
        throw new OAuthError(
          'invalid_request',
          'use one client authentication method: Authorization header or client_secret in the body, not both',
        );
      }
      ({ id, secret } = parseBasic(presented.authorization));
      if (presented.bodyClientId !== undefined && presented.bodyClientId !== id) {
        throw new OAuthError(
          'invalid_request',
          'client_id in the body differs from the Basic credentials',
        );
      }
    } else {
      id = presented.bodyClientId;
      secret = presented.bodyClientSecret;
    }
    if (id === undefined) {
      throw new OAuthError('invalid_client', 'client authentication is required');
    }
    const client = this.clients.get(id);
    // Unknown and public clients are compared against the dummy digest: same cost.
    const expected = this.secretDigests.get(id) ?? DUMMY_DIGEST;
    const matches = secret !== undefined && matchesDigest(secret, expected);
    if (!client) throw new OAuthError('invalid_client', 'client authentication failed');
    if (client.clientSecret === null) {
      if (secret !== undefined) {
        throw new OAuthError('invalid_client', 'client authentication failed', client.clientId);
      }
      return client;
    }
    if (!matches) {
      throw new OAuthError('invalid_client', 'client authentication failed', client.clientId);
    }
    return client;
  }
}
