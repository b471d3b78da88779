import type { PoolClient } from '@app/fleet-auth';
import { Inject, Injectable } from '@nestjs/common';
import { ClientSecrets, type PresentedCredentials } from '../clients/client-secrets.js';
import { OAuthError } from './oauth.error.js';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

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
 * client_secret_post (never both), from the request's form and `Authorization` header, with
 * the one secret check ({@link ClientSecrets}): a confidential client presents any of its
 * active secrets, a public client only its id.
 */
@Injectable()
export class ClientAuthenticator {
  constructor(@Inject(ClientSecrets) private readonly secrets: ClientSecrets) {}

  authenticate(form: ReadonlyMap<string, string>, authorization: string | undefined): PoolClient {
    const bodyId = form.get('client_id');
    const bodySecret = form.get('client_secret');
    let readings: readonly PresentedCredentials[];
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
    // A second reading exists only when the presented credentials themselves hold "%" or "+".
    const { known, presentedSecret, authenticated } = this.secrets.check(readings);
    if (!known) throw new OAuthError('invalid_client', 'client authentication failed');
    if (known.clientSecret === null) {
      if (presentedSecret) {
        throw new OAuthError('invalid_client', 'client authentication failed', known.clientId);
      }
      return known;
    }
    if (!authenticated) {
      throw new OAuthError('invalid_client', 'client authentication failed', known.clientId);
    }
    return authenticated;
  }
}
