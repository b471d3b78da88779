import { M2MClientConfigError } from './client.errors.js';
import { describeTokenCacheStore } from './token-cache.conformance.fixture-spec.js';
import { MemoryTokenCacheStore } from './token-cache.store.js';
import { ToyKeyValueService, ToyTokenCacheStore } from './toy-token-cache.fixture-spec.js';

// One process: its replicas are the providers that share the instance.
let memory = new MemoryTokenCacheStore();
describeTokenCacheStore('MemoryTokenCacheStore', {
  replica: () => memory,
  reset: () => void (memory = new MemoryTokenCacheStore()),
});

// A service the replicas share, each on a store of its own.
let service = new ToyKeyValueService();
describeTokenCacheStore('a toy store of one file (toy-token-cache.fixture-spec.ts)', {
  replica: () => new ToyTokenCacheStore(service),
  reset: () => {
    service = new ToyKeyValueService();
    service.latencyMs = 2;
  },
  outage: {
    start: () => Promise.resolve(void (service.down = true)),
    end: () => {
      service.down = false;
      service.values.clear();
      return Promise.resolve();
    },
  },
});

describe('MemoryTokenCacheStore', () => {
  afterEach(() => vi.useRealTimers());

  it('answers a value until its lifetime ends', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const store = new MemoryTokenCacheStore();
    await store.set('k', 'v', 1_000);
    expect(await store.get('k')).toBe('v');
    expect(await store.get('other')).toBeUndefined();
    vi.setSystemTime(1_700_000_000_999);
    expect(await store.get('k')).toBe('v');
    vi.setSystemTime(1_700_000_001_000);
    expect(await store.get('k')).toBeUndefined();
  });

  it('keeps at most maxEntries: the expired make room first, then the oldest', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const store = new MemoryTokenCacheStore({ maxEntries: 3 });
    await store.set('short', '1', 10);
    await store.set('a', '2', 60_000);
    await store.set('b', '3', 60_000);
    vi.setSystemTime(1_700_000_000_010);
    await store.set('c', '4', 60_000);
    expect(await store.get('a')).toBe('2');
    await store.set('d', '5', 60_000);
    expect(await store.get('a')).toBeUndefined();
    expect([await store.get('b'), await store.get('c'), await store.get('d')]).toEqual([
      '3',
      '4',
      '5',
    ]);
  });

  it('refuses a bound it cannot keep, naming it', () => {
    expect(() => new MemoryTokenCacheStore({ maxEntries: 0 })).toThrow(M2MClientConfigError);
    expect(() => new MemoryTokenCacheStore({ maxEntries: 1.5 })).toThrow(/"maxEntries"/);
  });
});
