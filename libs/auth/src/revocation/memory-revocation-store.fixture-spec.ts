// Test-only: a revocation store of one's own, in memory, as the interface means it (a
// version, the entries, a push to watchers); `down` fails every operation as an unreachable
// store does. Not built into dist.
import type { RevocationEntry } from './revocation-entry.js';
import type { RevocationSnapshot, RevocationStore } from './revocation-store.js';

/**
 * A store of one's own in a few lines, as the interface means it: a version, entries, a push
 * to watchers; `down` makes every operation fail, as an unreachable store does.
 */
export class MemoryRevocationStore implements RevocationStore {
  readonly maxEntries: number;
  entries: RevocationEntry[] = [];
  version = 0;
  down = false;
  loads = 0;
  private watchers = new Set<() => void>();

  constructor(maxEntries = 100) {
    this.maxEntries = maxEntries;
  }

  add(entries: readonly RevocationEntry[]): Promise<void> {
    if (this.down)
      return Promise.reject(Object.assign(new Error('down'), { code: 'ECONNREFUSED' }));
    this.entries.push(...entries);
    this.version += 1;
    for (const watcher of this.watchers) watcher();
    return Promise.resolve();
  }

  load(knownVersion?: string): Promise<RevocationSnapshot> {
    this.loads += 1;
    if (this.down) return Promise.reject(Object.assign(new Error('down'), { reason: 'TIMEOUT' }));
    const version = String(this.version);
    return Promise.resolve(
      version === knownVersion ? { version } : { version, entries: [...this.entries] },
    );
  }

  watch(onChange: () => void) {
    this.watchers.add(onChange);
    return { close: () => Promise.resolve(void this.watchers.delete(onChange)) };
  }

  close(): void {
    this.watchers.clear();
  }
}
