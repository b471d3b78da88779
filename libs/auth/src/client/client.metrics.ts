import { Counter, Histogram, type Registry } from 'prom-client';
import { getOrCreate } from '../shared/metrics.js';

/** The client's series, shared by every client registered on one app's registry. */
export interface M2MClientMetrics {
  tokenRequests?: Counter<'client_id' | 'outcome'>;
  tokenCache?: Counter<'client_id' | 'result'>;
  downstreamDuration?: Histogram<'client_id' | 'method' | 'status_class'>;
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
