// Test-only, and the example of a store of one's own: the smallest TokenCacheStore with a
// lease, written against what @nest-m2m-cognito/auth/client exports and nothing else. A
// key-value service that replicas share (values and leases that expire, an answer after
// `latencyMs`, switched off with `down`), and each replica's store on it. Not built into dist.
import {
  SharedCacheUnavailableError,
  type TokenCacheLease,
  type TokenCacheStore,
} from './index.js';

/** The service every replica's store talks to. */
export class ToyKeyValueService {
  readonly values = new Map<string, { value: string; until: number }>();
  latencyMs = 0;
  down = false;
  /** Round trips so far. */
  calls = 0;

  async call<T>(op: () => T): Promise<T> {
    this.calls += 1;
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (this.down) throw new SharedCacheUnavailableError('ECONNREFUSED');
    return op();
  }

  live(key: string) {
    const entry = this.values.get(key);
    if (entry && Date.now() >= entry.until) this.values.delete(key);
    return this.values.get(key);
  }
}

/** One replica's store: entries under their key, each entry's lease beside it. */
export class ToyTokenCacheStore implements TokenCacheStore {
  readonly name = 'Toy';
  readonly lease: TokenCacheLease = {
    acquire: (key, owner, ms) =>
      this.service.call(() => {
        const held = this.service.live(`${key}:lease`);
        if (held && held.value !== owner) return Math.max(1, held.until - Date.now());
        this.service.values.set(`${key}:lease`, { value: owner, until: Date.now() + ms });
        return 0;
      }),
    release: (key, owner) =>
      this.service.call(() => {
        if (this.service.live(`${key}:lease`)?.value === owner) {
          this.service.values.delete(`${key}:lease`);
        }
      }),
    pollMs: 5,
    refreshSpreadMs: 300,
  };

  constructor(private readonly service: ToyKeyValueService) {}

  get(key: string): Promise<string | undefined> {
    return this.service.call(() => this.service.live(key)?.value);
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    return this.service.call(() => {
      this.service.values.set(key, { value, until: Date.now() + ttlMs });
    });
  }
}
