import { createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { readIfExists, writePrivateFile } from '../files/private-file.js';

const generateRsaKeyPair = promisify(generateKeyPair);
/** RFC 8725 §3.5 and RFC 7518 §3.3: RS256 keys of at least 2048 bits. */
const MIN_MODULUS_BITS = 2048;

/** Which tokens a key signs: Cognito publishes one key for access tokens and one for ID tokens. */
export type KeyUse = 'access' | 'id';
const USES: readonly KeyUse[] = ['access', 'id'];

/** The keys file is unreadable or malformed. The emulator refuses to overwrite it. */
export class KeysFileError extends Error {
  readonly code = 'invalid_keys_file';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeysFileError';
  }
}

interface SigningKey {
  kid: string;
  tokenUse: KeyUse;
  /** Node's own key object: what `crypto.sign` takes without a conversion per signature. */
  privateKey: KeyObject;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: number;
  /** Unix seconds after which the key is no longer published; unset for the active key. */
  retireAt?: number;
}

interface StoredKey {
  /** Absent in files written before ID tokens had their own key: an access-token key. */
  tokenUse?: KeyUse;
  createdAt: number;
  retireAt?: number;
  jwk: JWK;
}

export interface KeyStoreOptions {
  /** Where private keys are kept across restarts (mode 0600). Unset: in memory only. */
  file?: string;
  /** How long a retired key stays published: the longest token validity of any client. */
  retentionSeconds: number;
  /** Unix seconds; injectable for tests. */
  now?: () => number;
}

const PUBLIC_MEMBERS = ['kty', 'n', 'e'] as const;

/**
 * The emulator's RSA-2048 signing keys: one active key for access tokens and one for ID
 * tokens, as Cognito has. Keys retired by `rotate()` stay in the JWKS until every token
 * they signed can have expired. Newest keys come first.
 */
export class KeyStore {
  private keys: SigningKey[] = [];
  private jwksCache: { keys: JWK[] } | undefined;
  private readonly now: () => number;

  private constructor(private readonly options: KeyStoreOptions) {
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  /** Loads keys from `options.file` if it exists, else generates one (and saves it). */
  static async open(options: KeyStoreOptions): Promise<KeyStore> {
    const store = new KeyStore(options);
    const stored = options.file ? await readKeysFile(options.file) : undefined;
    if (stored) {
      try {
        store.keys = await Promise.all(stored.map((k) => fromStored(k)));
      } catch (cause) {
        if (cause instanceof KeysFileError) throw cause;
        throw new KeysFileError(
          `COGNITO_EMULATOR_KEYS_FILE: ${options.file} holds an unusable key`,
          {
            cause,
          },
        );
      }
      store.prune();
    }
    for (const use of [...USES].reverse()) {
      if (!store.keys.some((k) => k.tokenUse === use && k.retireAt === undefined)) {
        store.keys.unshift(await newKey(use, store.now()));
      }
    }
    if (options.file && !sameKeys(stored, store.keys)) await store.save();
    return store;
  }

  /** The key that signs new access tokens (or, with `'id'`, ID tokens). */
  signing(use: KeyUse = 'access'): { kid: string; privateKey: KeyObject } {
    return this.keys.find((k) => k.tokenUse === use && k.retireAt === undefined)!;
  }

  /** The public key set, newest first; expired retired keys are dropped. */
  jwks(): { keys: JWK[] } {
    if (this.prune() || !this.jwksCache) {
      this.jwksCache = { keys: this.keys.map((k) => k.publicJwk) };
    }
    return this.jwksCache;
  }

  /**
   * Makes a new access-token key and a new ID-token key; the previous ones stay published
   * for `retentionSeconds`. `kid` is the new access-token key.
   */
  async rotate(): Promise<{
    kid: string;
    idTokenKid: string;
    retired: { kid: string; retireAt: number }[];
  }> {
    const now = this.now();
    const [access, id] = await Promise.all(USES.map((use) => newKey(use, now)));
    const retireAt = now + this.options.retentionSeconds;
    for (const k of this.keys) k.retireAt ??= retireAt;
    this.keys.unshift(access, id);
    this.prune();
    this.jwksCache = undefined;
    if (this.options.file) await this.save();
    return {
      kid: access.kid,
      idTokenKid: id.kid,
      retired: this.keys.slice(2).map((k) => ({ kid: k.kid, retireAt: k.retireAt ?? retireAt })),
    };
  }

  private prune(): boolean {
    const now = this.now();
    const before = this.keys.length;
    this.keys = this.keys.filter((k) => k.retireAt === undefined || k.retireAt > now);
    if (this.keys.length !== before) this.jwksCache = undefined;
    return this.keys.length !== before;
  }

  private async save(): Promise<void> {
    const file = this.options.file as string;
    const doc: { keys: StoredKey[] } = {
      keys: this.keys.map((k) => ({
        tokenUse: k.tokenUse,
        createdAt: k.createdAt,
        retireAt: k.retireAt,
        jwk: k.privateJwk,
      })),
    };
    await writePrivateFile(file, `${JSON.stringify(doc, null, 2)}\n`);
  }
}

async function newKey(tokenUse: KeyUse, now: number): Promise<SigningKey> {
  const { privateKey } = await generateRsaKeyPair('rsa', { modulusLength: MIN_MODULUS_BITS });
  return fromStored({ tokenUse, createdAt: now, jwk: privateKey.export({ format: 'jwk' }) });
}

async function fromStored(stored: StoredKey): Promise<SigningKey> {
  const { jwk } = stored;
  const publicOnly: JWK = { kty: jwk.kty, n: jwk.n, e: jwk.e };
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicOnly));
  const privateJwk: JWK = { ...jwk, kid, alg: 'RS256', use: 'sig' };
  const privateKey = createPrivateKey({ key: privateJwk, format: 'jwk' });
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (privateKey.asymmetricKeyType !== 'rsa' || bits < MIN_MODULUS_BITS) {
    throw new KeysFileError(
      `COGNITO_EMULATOR_KEYS_FILE: key ${kid} is not an RSA private key of at least ${MIN_MODULUS_BITS} bits`,
    );
  }
  const publicJwk: JWK = { alg: 'RS256', e: jwk.e, kid, kty: 'RSA', n: jwk.n, use: 'sig' };
  return {
    kid,
    tokenUse: stored.tokenUse ?? 'access',
    privateKey,
    privateJwk,
    publicJwk,
    createdAt: stored.createdAt,
    retireAt: stored.retireAt,
  };
}

async function readKeysFile(file: string): Promise<StoredKey[] | undefined> {
  let text: string | undefined;
  try {
    text = await readIfExists(file);
  } catch (cause) {
    throw new KeysFileError(`COGNITO_EMULATOR_KEYS_FILE: cannot read ${file}`, { cause });
  }
  if (text === undefined) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new KeysFileError(`COGNITO_EMULATOR_KEYS_FILE: ${file} is not valid JSON`, { cause });
  }
  const keys = (doc as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) {
    throw new KeysFileError(`COGNITO_EMULATOR_KEYS_FILE: ${file} has no "keys" array`);
  }
  return keys.map((k: unknown, i) => {
    const s = k as Partial<StoredKey>;
    const jwk = s?.jwk;
    if (
      !jwk ||
      jwk.kty !== 'RSA' ||
      !PUBLIC_MEMBERS.every((m) => typeof jwk[m] === 'string') ||
      typeof jwk.d !== 'string' ||
      typeof s.createdAt !== 'number' ||
      (s.tokenUse !== undefined && !USES.includes(s.tokenUse)) ||
      (s.retireAt !== undefined && s.retireAt !== null && typeof s.retireAt !== 'number')
    ) {
      throw new KeysFileError(
        `COGNITO_EMULATOR_KEYS_FILE: keys[${i}] must be { tokenUse?: "access" | "id", createdAt, retireAt?, jwk: RSA private JWK }`,
      );
    }
    return {
      tokenUse: s.tokenUse,
      createdAt: s.createdAt,
      retireAt: s.retireAt ?? undefined,
      jwk,
    };
  });
}

function sameKeys(stored: StoredKey[] | undefined, keys: SigningKey[]): boolean {
  return (
    stored !== undefined &&
    stored.length === keys.length &&
    stored.every(
      (s, i) =>
        s.jwk.kid === keys[i].kid &&
        s.tokenUse === keys[i].tokenUse &&
        s.retireAt === keys[i].retireAt,
    )
  );
}
