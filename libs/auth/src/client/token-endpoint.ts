import type { ClientMetadata } from './client-metadata.js';
import {
  ISSUER_ERROR,
  printableDescription,
  type TokenTransport,
  type TransportVerdict,
} from './token-request.js';

/**
 * How the client authenticates at the token endpoint.
 *
 * - `client_secret_basic` (default): `Authorization: Basic base64(client_id:client_secret)`,
 *   the id and secret joined as they are, NOT form-urlencoded first. That is what Amazon
 *   Cognito documents (`Base64Encode(client_id:client_secret)`) and accepts; other clients
 *   report Cognito refusing form-urlencoded credentials. RFC 6749 §2.3.1 asks for
 *   form-urlencoding first; for the ids and secrets Cognito generates (letters and digits)
 *   both forms are the same bytes. The local emulator accepts both readings, so client and
 *   emulator agree on every id and secret. An id containing `:` cannot be sent this way.
 * - `client_secret_post`: `client_id` and `client_secret` in the form body (form encoding
 *   applies as for every body field). Use it for a non-Cognito server that decodes Basic
 *   credentials and a secret with characters other than letters and digits.
 */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface TokenEndpointSettings {
  tokenUrl: string;
  clientId: string;
  scopes: readonly string[];
  authMethod: ClientAuthMethod;
  /** Sent as `aws_client_metadata` (URL-encoded JSON) for a pre token generation trigger. */
  metadata?: ClientMetadata;
}

/**
 * The OAuth 2.0 token endpoint (`POST /oauth2/token`, RFC 6749 §4.4): a form body with
 * `grant_type=client_credentials`, the scopes and, for Cognito's pre token generation
 * trigger, `aws_client_metadata`; the client authenticated as `authMethod` says. Its answer:
 * `access_token`/`expires_in`/`token_type`, or an OAuth `error`.
 */
export function tokenEndpointTransport(settings: TokenEndpointSettings): TokenTransport {
  const { tokenUrl, clientId, scopes, authMethod, metadata } = settings;
  return {
    kind: 'token-endpoint',
    // The URL alone, as before there were transports: entries keep their names.
    source: tokenUrl,
    request(secret) {
      const body = new URLSearchParams({ grant_type: 'client_credentials' });
      const headers: Record<string, string> = {
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      };
      if (authMethod === 'client_secret_post') {
        body.set('client_id', clientId);
        body.set('client_secret', secret);
      } else {
        // As Cognito expects: not form-urlencoded (see ClientAuthMethod).
        headers.Authorization = `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
      }
      if (scopes.length > 0) body.set('scope', scopes.join(' '));
      if (metadata) body.set('aws_client_metadata', JSON.stringify(metadata));
      return { url: tokenUrl, body: body.toString(), headers };
    },
    read(status, data): TransportVerdict {
      const json =
        typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
      if (status >= 200 && status < 300) {
        return {
          kind: 'token',
          accessToken: json.access_token,
          expiresIn: json.expires_in,
          tokenType: json.token_type,
        };
      }
      if (typeof json.error === 'string' && ISSUER_ERROR.test(json.error)) {
        const description = printableDescription(json.error_description);
        return { kind: 'refused', code: json.error, error: json.error, description };
      }
      return { kind: 'unknown' };
    },
  };
}
