import { MAX_CLIENT_SECRETS, type PoolClient } from '@app/fleet-auth';
import { Inject, Injectable } from '@nestjs/common';
import { PoolStore } from '../pool/pool-store.js';
import { matchesAnyDigest } from '../shared/secrets.js';
import { OAuthError } from './oauth.error.js';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** What one id and secret amount to: the client of that id, and whether the secret is one of its own. */
interface SecretCheck {
  client: PoolClient | undefined;
  matches: boolean;
}

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
 * The one check of a client's id and secret, for every endpoint that takes them: the token
 * and revocation endpoints (client_secret_basic or client_secret_post, never both, from the
 * request's form and `Authorization` header) and the API's. A confidential client presents
 * any of its active secrets (Cognito keeps up to two, for rotation); a public client only
 * its id. A deleted secret fails from the moment it is deleted.
 */
@Injectable()
export class ClientAuthenticator {
  constructor(@Inject(PoolStore) private readonly pool: PoolStore) {}

  /**
   * The client whose id and secret these are: a confidential client with one of its active
   * secrets, or a public client with none; undefined otherwise (unknown client, wrong,
   * deleted or missing secret, a secret for a public client). The same work whether the
   * client exists and whichever secret matches.
   */
  verify(clientId: string, secret: string | undefined): PoolClient | undefined {
    const { client, matches } = this.check(clientId, secret);
    if (!client) return undefined;
    if (client.clientSecret === null) return secret === undefined ? client : undefined;
    return matches ? client : undefined;
  }

  /**
   * Compares the secret with each of the client's active ones: as many comparisons for an
   * unknown client, a public one or a missing secret, so none of them shows in the timing.
   */
  private check(clientId: string | undefined, secret: string | undefined): SecretCheck {
    const client = clientId === undefined ? undefined : this.pool.client(clientId);
    const digests = clientId === undefined ? [] : this.pool.secretDigests(clientId);
    const matches = matchesAnyDigest(secret ?? '', digests, MAX_CLIENT_SECRETS);
    return { client, matches: matches && secret !== undefined };
  }

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
    // Every reading is compared, so whether a client exists never shows in the timing; a
    // second reading exists only when the presented credentials themselves hold "%" or "+".
    const outcomes = readings.map((r) => ({ ...this.check(r.id, r.secret), secret: r.secret }));
    const known = outcomes.find((o) => o.client !== undefined);
    if (!known?.client) throw new OAuthError('invalid_client', 'client authentication failed');
    const { client } = known;
    if (client.clientSecret === null) {
      if (known.secret !== undefined) {
        throw new OAuthError('invalid_client', 'client authentication failed', client.clientId);
      }
      return client;
    }
    const accepted = outcomes.find((o) => o.client && o.matches);
    if (!accepted?.client) {
      throw new OAuthError('invalid_client', 'client authentication failed', client.clientId);
    }
    return accepted.client;
  }
}
