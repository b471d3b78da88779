import type { RevocationEntry } from './revocation-entry.js';

/** What a store holds: a version that changes with every change, and (when asked) the entries. */
export interface RevocationSnapshot {
  /** Changes whenever entries are added; compared as a string. */
  version: string;
  /** Every entry not yet expired; absent when the version is the one the reader knows. */
  entries?: RevocationEntry[];
}

/** A store's answer to {@link RevocationStore.watch}. */
export interface RevocationWatch {
  /** Stops watching. */
  close(): Promise<void>;
}

/**
 * Where a fleet's revocation list lives, shared by every replica: the writer (`revoke()`, the
 * `npm run revoke` command) adds entries, each resource server reads them. Three operations,
 * so that the list itself (`RevocationList`) knows nothing of the store; `RedisRevocationStore`
 * is the library's, and a store of your own (a database table, say) fits in one file.
 *
 * - `add`: all of the entries or none, refused beyond the store's bound on entries; readers
 *   learn of it (through `watch`, and `load`'s version).
 * - `load`: the current version, and the unexpired entries unless `knownVersion` is current.
 * - `watch`: calls `onChange` soon after any `add` (a push, best effort: messages sent while a
 *   reader is disconnected may be lost, so readers also `load` on a schedule).
 *
 * Any failure (unreachable, too slow) rejects; bounded in time by the store.
 */
export interface RevocationStore {
  /** The most entries the store holds: the bound of every reader's copy too. */
  readonly maxEntries: number;
  add(entries: readonly RevocationEntry[]): Promise<void>;
  load(knownVersion?: string): Promise<RevocationSnapshot>;
  watch(onChange: () => void): RevocationWatch;
  /** Releases the store's connections. */
  close(): void;
}
