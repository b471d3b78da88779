import type { PoolClient } from '@app/fleet-auth';
import { Inject, Injectable } from '@nestjs/common';
import { PoolStore } from '../pool/pool-store.js';
import { matchesDigest, sha256 } from '../shared/secrets.js';
import { OAuthError } from './oauth.error.js';

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
  if (!value.includes('%') && !value.includes('+')) return value;
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * Splits `Basic base64(id:secret)` at the first colon; a malformed header is
 * `invalid_request`. Returns the readings to try: the id and secret as they are (what
 * Cognito documents, `Base64Encode(client_id:client_secret)`, and what `@nest-m2m-cognito/auth/client` sends)
 * and, when decoding changes them, form-decoded (RFC 6749 §2.3.1, what oauth4webapi and
 * openid-client send).
 */
export function parseBasic(header: string): readonly BasicCredentials[] {
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
  const changed = id !== undefined && secret !== undefined && id !== '';
  return changed && (id !== raw.id || secret !== raw.secret) ? [raw, { id, secret }] : [raw];
}

/**
 * Authenticates the client of a token or revocation request by client_secret_basic or
 * client_secret_post (never both), from the request's form and `Authorization` header. A
 * public client may present only its id.
 */
@Injectable()
export class ClientAuthenticator {
  constructor(@Inject(PoolStore) private readonly pool: PoolStore) {}

  authenticate(form: ReadonlyMap<string, string>, authorization: string | undefined): PoolClient {
    const bodyId = form.get('client_id');
    const bodySecret = form.get('client_secret');
    let readings: readonly { id: string | undefined; secret?: string }[];
    if (authorization !== undefined) {
      if (bodySecret !== undefined) {
        throw new OAuthError(
          'invalid_request',
          'use one client authentication method: Authorization header or client_secret in the body, not both',
        );
      }
      readings = parseBasic(authorization);
      if (bodyId !== undefined && readings.every((r) => r.id !== bodyId)) {
        throw new OAuthError(
          'invalid_request',
          'client_id in the body differs from the Basic credentials',
        );
      }
    } else {
      readings = [{ id: bodyId, secret: bodySecret }];
    }
    if (readings[0].id === undefined) {
      throw new OAuthError('invalid_client', 'client authentication is required');
    }
    // Every reading is compared (against a dummy digest for unknown and public clients), so
    // whether a client exists never shows in the timing; a second reading exists only when
    // the presented credentials themselves hold "%" or "+".
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
