import { RevocationInputError } from './revocation.errors.js';

/**
 * The longest an access token of Cognito lives: 1 day (an app client's access token validity
 * is 5 minutes to 1 day). An entry is never needed longer than that after what it names.
 */
export const MAX_TOKEN_LIFETIME_SECONDS = 86_400;

/**
 * An entry outlives what it names by this much, so that a resource server's clock tolerance
 * (up to minutes) cannot let a token through in its last seconds.
 */
export const ENTRY_GRACE_SECONDS = 300;

/** A `jti` as this list takes it: 1-128 printable ASCII characters, no spaces (a Cognito one is a UUID). */
const JTI = /^[\x21-\x7e]{1,128}$/;

/**
 * An app client id: 1-128 word characters, `+` (Cognito's `ClientIdType`), `.` or `-` (the
 * emulator's readable ids).
 */
const CLIENT_ID = /^[\w+.-]{1,128}$/;

/** One revoked token (`jti`), until the time it would have expired. */
export interface JtiRevocation {
  kind: 'jti';
  jti: string;
  /** When the entry may go (epoch seconds): the token's `exp` plus a grace. */
  expiresAt: number;
}

/** Every token of a client issued at or before `before` (its `iat`, epoch seconds). */
export interface ClientRevocation {
  kind: 'client';
  clientId: string;
  /** Tokens with `iat` at or before this (epoch seconds) are refused. */
  before: number;
  /** When the entry may go (epoch seconds): `before` plus the longest token lifetime and a grace. */
  expiresAt: number;
}

/** An entry of the revocation list. */
export type RevocationEntry = JtiRevocation | ClientRevocation;

/**
 * What to revoke: one token by its `jti` (with its `exp` when known, else it is kept for the
 * longest token lifetime), or a client's tokens issued at or before a time (default: now).
 */
export type RevocationRequest =
  { jti: string; expiresAt?: Date | number } | { clientId: string; before?: Date | number };

/** Epoch seconds of a `Date` or epoch milliseconds; `undefined` for anything else. */
function seconds(value: Date | number): number | undefined {
  const ms = value instanceof Date ? value.getTime() : value;
  return typeof ms === 'number' && Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

/**
 * The entry a request stands for at `nowMs`, checked; throws a {@link RevocationInputError}
 * naming the field at fault.
 */
export function entryOf(request: RevocationRequest, nowMs: number): RevocationEntry {
  const now = Math.floor(nowMs / 1000);
  if (typeof request !== 'object' || request === null) {
    throw new RevocationInputError('request', 'give a jti or a client id');
  }
  const byJti = 'jti' in request;
  if (byJti === 'clientId' in request) {
    throw new RevocationInputError('request', 'give either a jti or a client id, not both');
  }
  if (byJti) {
    if (typeof request.jti !== 'string' || !JTI.test(request.jti)) {
      throw new RevocationInputError(
        'jti',
        'a jti is 1-128 printable ASCII characters without spaces',
      );
    }
    let exp = now + MAX_TOKEN_LIFETIME_SECONDS;
    if (request.expiresAt !== undefined) {
      const given = seconds(request.expiresAt);
      if (given === undefined)
        throw new RevocationInputError('expiresAt', 'expiresAt is not a time');
      if (given <= now - ENTRY_GRACE_SECONDS) {
        throw new RevocationInputError('expiresAt', 'that token has expired already');
      }
      // No token lives longer than a day: an entry never needs to either.
      exp = Math.min(given, exp);
    }
    return { kind: 'jti', jti: request.jti, expiresAt: exp + ENTRY_GRACE_SECONDS };
  }
  if (typeof request.clientId !== 'string' || !CLIENT_ID.test(request.clientId)) {
    throw new RevocationInputError('clientId', 'a client id is 1-128 letters, digits or _ + . -');
  }
  let before = now;
  if (request.before !== undefined) {
    const given = seconds(request.before);
    if (given === undefined) throw new RevocationInputError('before', 'before is not a time');
    if (given > now + 60) {
      throw new RevocationInputError('before', 'before is in the future');
    }
    if (given <= now - MAX_TOKEN_LIFETIME_SECONDS) {
      throw new RevocationInputError(
        'before',
        'before is more than a day ago: every token issued by then has expired',
      );
    }
    before = given;
  }
  return {
    kind: 'client',
    clientId: request.clientId,
    before,
    expiresAt: before + MAX_TOKEN_LIFETIME_SECONDS + ENTRY_GRACE_SECONDS,
  };
}

/**
 * An entry as one string, for a store: `jti:<jti>` or `client:<clientId>:<before>` (its expiry
 * is kept beside it, as the store's score or lifetime).
 */
export function encodeEntry(entry: RevocationEntry): string {
  return entry.kind === 'jti' ? `jti:${entry.jti}` : `client:${entry.clientId}:${entry.before}`;
}

/**
 * The entry of a stored string and its expiry, or `undefined` for one that is not an entry
 * (written by something else): a store's content is checked as input is.
 */
export function decodeEntry(member: string, expiresAt: number): RevocationEntry | undefined {
  if (!Number.isFinite(expiresAt)) return undefined;
  if (member.startsWith('jti:')) {
    const jti = member.slice(4);
    return JTI.test(jti) ? { kind: 'jti', jti, expiresAt } : undefined;
  }
  const match = /^client:([\w+.-]{1,128}):(\d{1,12})$/.exec(member);
  return match
    ? { kind: 'client', clientId: match[1], before: Number(match[2]), expiresAt }
    : undefined;
}
