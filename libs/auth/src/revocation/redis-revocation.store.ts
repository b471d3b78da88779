import { RedisConnection } from '../redis/redis-connection.js';
import type { RedisConnectionOptions } from '../redis/redis-connection.options.js';
import { numberOption } from '../shared/number-option.js';
import { decodeEntry, encodeEntry, type RevocationEntry } from './revocation-entry.js';
import type { RevocationSnapshot, RevocationStore, RevocationWatch } from './revocation-store.js';
import { RevocationConfigError, RevocationListFullError } from './revocation.errors.js';

/** Where the list lives in Redis, and its bound. */
export interface RedisRevocationStoreOptions extends RedisConnectionOptions {
  /**
   * Prepended to the list's keys and channel, so several fleets can share one Redis. Default
   * `auth:` (keys `auth:{revocations}:entries` and `auth:{revocations}:version`).
   */
  keyPrefix?: string;
  /** The most entries the list holds; an `add` past it is refused. Default 50,000. */
  maxEntries?: number;
}

/** A key prefix: printable ASCII without spaces, at most 64 characters. */
export const KEY_PREFIX = /^[\x21-\x7e]{1,64}$/;

// KEYS[1] entries (sorted set: member -> expiry, epoch s), KEYS[2] version. ARGV[1] now (s),
// ARGV[2] the bound, ARGV[3] the channel, then expiry/member pairs. Expired entries go first;
// past the bound nothing is written (-1); else every entry is added (an entry already there
// keeps the later expiry: GT), the version moves on, readers are told, and the key lives as
// long as its last entry. The reply: the new version.
const ADD = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local new = 0
for i = 4, #ARGV, 2 do
  if not redis.call('ZSCORE', KEYS[1], ARGV[i + 1]) then new = new + 1 end
end
if redis.call('ZCARD', KEYS[1]) + new > tonumber(ARGV[2]) then return -1 end
for i = 4, #ARGV, 2 do redis.call('ZADD', KEYS[1], 'GT', ARGV[i], ARGV[i + 1]) end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('EXPIREAT', KEYS[1], math.ceil(tonumber(last[2])))
local version = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[3], version)
return version`;

// KEYS[1] entries, KEYS[2] version. ARGV[1] now (s), ARGV[2] the version the reader has,
// ARGV[3] the bound. The version, and unless it is the reader's, the unexpired entries with
// their expiries (at most the bound). Read-only.
const LOAD = `
local version = redis.call('GET', KEYS[2]) or '0'
if version == ARGV[2] then return {version} end
return {version, redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))}`;

/**
 * A fleet's revocation list in Redis, on the library's one {@link RedisConnection} (bounded
 * commands, fail fast while Redis is down): a sorted set of entries scored by their expiry,
 * a version counter and a channel, all under one hash tag (`{revocations}`) so that a cluster
 * keeps them in one slot. Expired entries leave on the next `add` (and with their key, once
 * the last one expires); readers never see them.
 *
 * @example
 * ```ts
 * const store = new RedisRevocationStore({ url: 'redis://redis:6379' });
 * await revoke(store, { clientId: 'weather-caller' });
 * ```
 */
export class RedisRevocationStore implements RevocationStore {
  readonly maxEntries: number;
  private readonly connection: RedisConnection;
  private readonly entriesKey: string;
  private readonly versionKey: string;
  private readonly channel: string;

  constructor(options: RedisRevocationStoreOptions) {
    const prefix = options.keyPrefix ?? 'auth:';
    if (!KEY_PREFIX.test(prefix)) {
      throw new RevocationConfigError(
        'keyPrefix',
        'keyPrefix must be 1-64 printable characters without spaces',
      );
    }
    this.maxEntries = Math.floor(
      numberOption(
        'maxEntries',
        options.maxEntries,
        50_000,
        { min: 1, integer: true },
        (option, why) => {
          throw new RevocationConfigError(option, `${option} ${why}`);
        },
      ),
    );
    this.connection = new RedisConnection(options);
    this.entriesKey = `${prefix}{revocations}:entries`;
    this.versionKey = `${prefix}{revocations}:version`;
    this.channel = `${prefix}{revocations}:changed`;
  }

  async add(entries: readonly RevocationEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const pairs = entries.flatMap((entry) => [String(entry.expiresAt), encodeEntry(entry)]);
    const now = String(Math.floor(Date.now() / 1000));
    const reply = await this.connection.send(
      [
        'EVAL',
        ADD,
        '2',
        this.entriesKey,
        this.versionKey,
        now,
        String(this.maxEntries),
        this.channel,
        ...pairs,
      ],
      { key: this.entriesKey },
    );
    if (Number(reply) < 0) throw new RevocationListFullError(this.maxEntries);
  }

  async load(knownVersion = ''): Promise<RevocationSnapshot> {
    const now = String(Math.floor(Date.now() / 1000));
    const reply = (await this.connection.send(
      [
        'EVAL',
        LOAD,
        '2',
        this.entriesKey,
        this.versionKey,
        now,
        knownVersion,
        String(this.maxEntries),
      ],
      { key: this.entriesKey },
    )) as [string, string[]?];
    const [version, members] = reply;
    if (members === undefined) return { version: String(version) };
    const entries: RevocationEntry[] = [];
    for (let i = 0; i + 1 < members.length; i += 2) {
      const entry = decodeEntry(String(members[i]), Number(members[i + 1]));
      if (entry) entries.push(entry);
    }
    return { version: String(version), entries };
  }

  watch(onChange: () => void): RevocationWatch {
    return this.connection.subscribe(this.channel, () => onChange());
  }

  close(): void {
    this.connection.close();
  }
}
