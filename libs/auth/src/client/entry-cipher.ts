import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { ClientMetadata } from './client-metadata.js';
import type { CachedToken } from './token-cache.js';

/**
 * Who a cache entry belongs to: what the issuer is asked (every field that changes the
 * token it returns names another entry) and the secret that proves the right to ask.
 */
export interface CacheIdentity {
  /**
   * Where and how tokens are asked for: the token endpoint's URL for `/oauth2/token`, the
   * operation and API endpoint for `GetClientToken` (a transport's `source`).
   */
  source: string;
  clientId: string;
  /** In any order, duplicates allowed: the entry is the same for every order. */
  scopes: readonly string[];
  /** What the issuer's trigger is given: another value can be another token. */
  metadata?: ClientMetadata;
  clientSecret: string;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const INFO_ID = 'nest-m2m-cognito token-cache v1 entry-id';
const INFO_KEY = 'nest-m2m-cognito token-cache v1 aes-256-gcm';

/**
 * The name and the key of one client's entry in a shared store, both derived from the
 * client secret, and the sealing of the entry's value.
 *
 * - `id` = a digest of (token source, client id, sorted scopes, sorted client metadata when
 *   there is some), then a tag derived from the
 *   secret with HKDF-SHA256 (salt: that digest). The secret itself is never part of it, and
 *   a wrong or rotated secret names a different entry.
 * - The value is AES-256-GCM under a second HKDF output of the secret, with a random
 *   96-bit IV and the `id` as additional data: a reader of the store who lacks the secret
 *   learns nothing from it, and an entry copied under another name does not open.
 *
 * The tag lets someone who can read the store test guesses of the secret offline, like any
 * digest of it would: Cognito's generated secrets (about 300 bits) make that hopeless; a
 * hand-picked short secret does not.
 */
export class EntryCipher {
  readonly id: string;
  private readonly key: Buffer;
  private readonly aad: Buffer;

  constructor(identity: CacheIdentity) {
    const scopes = [...new Set(identity.scopes)].sort();
    // JSON: no separator can make two different identities read the same. A field added to
    // the identity is appended when set, so the entries of clients without it keep their names.
    const fields: unknown[] = [identity.source, identity.clientId, scopes];
    if (identity.metadata) {
      fields.push(Object.entries(identity.metadata).sort(([a], [b]) => (a < b ? -1 : +(a > b))));
    }
    const context = createHash('sha256').update(JSON.stringify(fields)).digest();
    const derive = (info: string, bytes: number) =>
      Buffer.from(hkdfSync('sha256', identity.clientSecret, context, info, bytes));
    this.id = `${context.toString('base64url')}.${derive(INFO_ID, 16).toString('base64url')}`;
    this.key = derive(INFO_KEY, 32);
    this.aad = Buffer.from(this.id);
  }

  /** `v1.<iv>.<ciphertext>.<tag>`, base64url parts. A new IV every time. */
  seal(token: CachedToken): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(this.aad);
    const plain = JSON.stringify([token.accessToken, token.expiresAt, token.refreshAt]);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const parts = [iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url'));
    return `${VERSION}.${parts.join('.')}`;
  }

  /**
   * The token sealed in `value`, or `undefined` when `value` is not one this cipher sealed
   * (another format, another secret, another entry, tampered with, truncated): a miss.
   */
  open(value: unknown): CachedToken | undefined {
    if (typeof value !== 'string') return undefined;
    const parts = value.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) return undefined;
    const [iv, body, tag] = parts.slice(1).map((p) => Buffer.from(p, 'base64url'));
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return undefined;
    let plain: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(this.aad);
      decipher.setAuthTag(tag);
      plain = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(plain);
    } catch {
      return undefined;
    }
    if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
    const [accessToken, expiresAt, refreshAt] = parsed as unknown[];
    if (typeof accessToken !== 'string' || accessToken === '') return undefined;
    if (!Number.isFinite(expiresAt) || !Number.isFinite(refreshAt)) return undefined;
    return { accessToken, expiresAt: expiresAt as number, refreshAt: refreshAt as number };
  }
}
