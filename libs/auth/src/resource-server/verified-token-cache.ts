import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { VerifiedToken } from './jwt.strategy.js';

/** Bounds and clock of a {@link VerifiedTokenCache}. */
export interface VerifiedTokenCacheOptions {
  /** At most this many tokens; `0` turns the cache off. */
  maxEntries: number;
  /** At most this many bytes of heap, as {@link entryBytes} estimates them; `0` turns it off. */
  maxBytes: number;
  /** False once the key that signed a cached token is no longer published: a hit is refused. */
  isPublished: (verified: VerifiedToken) => boolean;
  now?: () => number;
}

/** An entry's fixed part: its key, the cache's slots, the entry, principal and scope list. */
const ENTRY_OVERHEAD_BYTES = 320;

/** Heap bytes of a decoded JSON value, roughly as V8 lays it out (property names are shared). */
function jsonBytes(value: unknown): number {
  if (typeof value === 'string') return 16 + value.length;
  if (typeof value === 'number') return 16;
  if (typeof value !== 'object' || value === null) return 0;
  let bytes = 24;
  for (const member of Object.values(value)) bytes += 8 + jsonBytes(member);
  return bytes;
}

/** What a cached token costs the heap, estimated: the fixed part, its claims, scopes and kid. */
export function entryBytes(verified: VerifiedToken): number {
  let bytes = ENTRY_OVERHEAD_BYTES + jsonBytes(verified.principal.claims) + verified.kid.length;
  for (const scope of verified.principal.scopes) bytes += 24 + scope.length;
  return bytes;
}

/**
 * Which cache keys were seen recently, in a bitmap off the JS heap (two bits per key, as a
 * Bloom filter; a false "seen" only admits one token more). Cleared after four times the
 * cache's size of new keys, so it forgets tokens of the past.
 */
class Doorkeeper {
  private readonly bits: Uint8Array;
  private readonly mask: number;
  private added = 0;

  constructor(private readonly window: number) {
    let size = 1 << 16;
    while (size < window * 16 && size < 1 << 23) size <<= 1;
    this.bits = new Uint8Array(size >> 3);
    this.mask = size - 1;
  }

  /** Whether `key` (base64 of a hash: uniform) was seen since the last clearing; marks it seen. */
  seenBefore(key: string): boolean {
    const a = this.index(key, 0);
    const b = this.index(key, 5);
    const seen =
      (this.bits[a >> 3] & (1 << (a & 7))) !== 0 && (this.bits[b >> 3] & (1 << (b & 7))) !== 0;
    if (!seen) {
      if (++this.added > this.window) {
        this.bits.fill(0);
        this.added = 1;
      }
      this.bits[a >> 3] |= 1 << (a & 7);
      this.bits[b >> 3] |= 1 << (b & 7);
    }
    return seen;
  }

  private index(key: string, at: number): number {
    let value = 0;
    for (let i = at; i < at + 5; i++) value = (value << 6) ^ key.charCodeAt(i);
    return value & this.mask;
  }
}

/**
 * Tokens that passed full verification, keyed by the SHA-256 of the request's Authorization
 * header value (the token itself is not kept), bounded in entries and in bytes (an
 * `lru-cache` with `max` and `maxSize`). A hit is refused once the token has expired
 * (`expiresAt`) or its signing key is no longer published; nothing else checked of a token
 * can change for a given token and configuration.
 *
 * Eviction keeps the tokens in use: while there is room every verified token is kept, but
 * once the cache is full a token takes a place (the least recently used one, an expired one
 * first) only when it is verified for the second time in a while (a doorkeeper, as in
 * TinyLFU). So a flood of tokens each sent once pushes out nothing, and costs no memory.
 */
export class VerifiedTokenCache {
  private readonly entries: LRUCache<string, VerifiedToken> | undefined;
  private readonly doorkeeper: Doorkeeper | undefined;
  private readonly isPublished: (verified: VerifiedToken) => boolean;
  private readonly now: () => number;

  constructor(private readonly options: VerifiedTokenCacheOptions) {
    this.isPublished = options.isPublished;
    this.now = options.now ?? Date.now;
    if (options.maxEntries < 1 || options.maxBytes < 1) return;
    this.entries = new LRUCache({ max: options.maxEntries, maxSize: options.maxBytes });
    this.doorkeeper = new Doorkeeper(4 * options.maxEntries);
  }

  /** The cache key of an Authorization header value. */
  static keyOf(authorization: string): string {
    return hash('sha256', authorization, 'base64');
  }

  /** Tokens held. */
  get size(): number {
    return this.entries?.size ?? 0;
  }

  /** Heap bytes held, as estimated. */
  get bytes(): number {
    return this.entries?.calculatedSize ?? 0;
  }

  /** The verified token of `key`, unless expired or signed by a key no longer published. */
  get(key: string): VerifiedToken | undefined {
    const entry = this.entries?.get(key);
    if (entry === undefined) return undefined;
    if (this.now() >= entry.expiresAt || !this.isPublished(entry)) {
      this.entries?.delete(key);
      return undefined;
    }
    return entry;
  }

  /**
   * Keeps a token that just passed full verification, if there is room or it was seen before,
   * as an entry and principal of its own (sharing the frozen claims and scopes). V8 pretenures
   * an allocation site whose objects mostly survive: were the verification's own objects kept,
   * then while the cache fills (every token kept) V8 would learn that they survive and from then
   * on allocate every verification's principal straight into the old generation, where, once
   * the cache is full and admits few, they die (measured: old space +6.5 MB per 10,000 distinct
   * tokens, which also grew the young generation; RSS 150 to 270 MiB over 50,000). Only this
   * site's objects survive, and only it is pretenured.
   */
  set(key: string, verified: VerifiedToken): void {
    if (!this.entries || !this.doorkeeper) return;
    const size = entryBytes(verified);
    if (this.full(this.entries, size) && !this.doorkeeper.seenBefore(key)) return;
    const { principal, kid, expiresAt } = verified;
    this.entries.set(key, { principal: Object.freeze({ ...principal }), kid, expiresAt }, { size });
  }

  /** Whether `size` more bytes need a place, once expired tokens at the old end have left. */
  private full(entries: LRUCache<string, VerifiedToken>, size: number): boolean {
    const now = this.now();
    for (;;) {
      if (
        entries.size < this.options.maxEntries &&
        entries.calculatedSize + size <= this.options.maxBytes
      ) {
        return false;
      }
      const oldest = entries.rkeys().next();
      if (oldest.done) return true;
      const entry = entries.peek(oldest.value);
      if (entry !== undefined && now < entry.expiresAt) return true;
      entries.delete(oldest.value);
    }
  }
}
