import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { getOrCreate } from '../shared/metrics.js';

/** The client's series, shared by every client registered on one app's registry. */
export interface M2MClientMetrics {
  tokenRequests?: Counter<'client_id' | 'outcome'>;
  tokenCache?: Counter<'client_id' | 'result'>;
  downstreamDuration?: Histogram<'client_id' | 'method' | 'status_class'>;
  refreshCooldowns?: Counter<'client_id'>;
  /** A shared store's look-ups (hit, miss, unavailable) after a miss in this process. */
  sharedCache?: Counter<'client_id' | 'result'>;
  /** How a shared store's token requests went: leased, waited for another replica, fallback. */
  sharedLease?: Counter<'client_id' | 'outcome'>;
  /** 1 while the shared store answers, 0 while this process falls back to its own cache. */
  sharedCacheAvailable?: Gauge;
  /** The secret source gave another secret (a rotation picked up), by kind of source. */
  secretChanges?: Counter<'client_id' | 'source'>;
}

export function m2mClientMetrics(registry: Registry | undefined | null): M2MClientMetrics {
  if (!registry) return {};
  return {
    tokenRequests: getOrCreate(
      registry,
      'm2m_token_requests_total',
      () =>
        new Counter({
          name: 'm2m_token_requests_total',
          help: 'Requests sent to the OAuth token endpoint, by outcome',
          labelNames: ['client_id', 'outcome'] as const,
          registers: [registry],
        }),
    ),
    tokenCache: getOrCreate(
      registry,
      'm2m_token_cache_total',
      () =>
        new Counter({
          name: 'm2m_token_cache_total',
          help: 'Token look-ups answered from the cache (hit) or needing a token request (miss)',
          labelNames: ['client_id', 'result'] as const,
          registers: [registry],
        }),
    ),
    refreshCooldowns: getOrCreate(
      registry,
      'm2m_token_refresh_cooldowns_total',
      () =>
        new Counter({
          name: 'm2m_token_refresh_cooldowns_total',
          help: 'Cooldowns started because the downstream rejected a freshly fetched token (401)',
          labelNames: ['client_id'] as const,
          registers: [registry],
        }),
    ),
    sharedCache: getOrCreate(
      registry,
      'm2m_token_shared_cache_total',
      () =>
        new Counter({
          name: 'm2m_token_shared_cache_total',
          help: 'Look-ups in the shared token cache (Redis) after a miss in this process: hit, miss or unavailable',
          labelNames: ['client_id', 'result'] as const,
          registers: [registry],
        }),
    ),
    sharedLease: getOrCreate(
      registry,
      'm2m_token_shared_lease_total',
      () =>
        new Counter({
          name: 'm2m_token_shared_lease_total',
          help: "Token requests under the shared cache's lease: acquired (this replica fetched), waited (another replica's token was read), fallback (fetched without the lease after the wait bound or with the store down)",
          labelNames: ['client_id', 'outcome'] as const,
          registers: [registry],
        }),
    ),
    sharedCacheAvailable: getOrCreate(
      registry,
      'm2m_token_shared_cache_available',
      () =>
        new Gauge({
          name: 'm2m_token_shared_cache_available',
          help: '1 while the shared token cache (Redis) answers, 0 while this process uses its own',
          registers: [registry],
        }),
    ),
    secretChanges: getOrCreate(
      registry,
      'm2m_client_secret_changes_total',
      () =>
        new Counter({
          name: 'm2m_client_secret_changes_total',
          help: 'Times a client secret source (file, Secrets Manager) gave another secret: a rotation picked up',
          labelNames: ['client_id', 'source'] as const,
          registers: [registry],
        }),
    ),
    downstreamDuration: getOrCreate(
      registry,
      'm2m_downstream_request_duration_seconds',
      () =>
        new Histogram({
          name: 'm2m_downstream_request_duration_seconds',
          help: 'Duration of calls made through an M2M HttpService, per attempt',
          labelNames: ['client_id', 'method', 'status_class'] as const,
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers: [registry],
        }),
    ),
  };
}
