import { Injectable, Optional } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import type { RevocationStatus } from '../revocation/revocation-list.js';
import { getOrCreate } from '../shared/metrics.js';
import { markSpan } from '../shared/spans.js';
import type { AuthFailureCode } from './resource-server.errors.js';

/** `outcome` label of `auth_decisions_total`. */
export type AuthOutcome = 'allowed' | 'denied' | 'unavailable';

/**
 * Counters of the resource server, on the app's `Registry` when `MetricsModule` is present;
 * each decision is also an `auth.decision` span in the request's trace.
 */
@Injectable()
export class ResourceServerMetrics {
  private readonly decisions?: Counter<'outcome' | 'reason'>;
  private readonly fetches?: Counter<'outcome'>;
  /** Each reason's series, bound once: `inc()` then skips hashing the labels per request. */
  private readonly byReason = new Map<AuthFailureCode | 'ok', Counter.Internal>();

  constructor(@Optional() private readonly registry?: Registry) {
    if (!registry) return;
    this.decisions = getOrCreate(
      registry,
      'auth_decisions_total',
      () =>
        new Counter<'outcome' | 'reason'>({
          name: 'auth_decisions_total',
          help: 'Resource-server authentication and authorisation decisions, by outcome and reason',
          labelNames: ['outcome', 'reason'],
          registers: [registry],
        }),
    );
    this.fetches = getOrCreate(
      registry,
      'auth_jwks_fetches_total',
      () =>
        new Counter<'outcome'>({
          name: 'auth_jwks_fetches_total',
          help: 'Fetches of the issuer key set (JWKS), by outcome',
          labelNames: ['outcome'],
          registers: [registry],
        }),
    );
  }

  decision(reason: AuthFailureCode | 'ok'): void {
    const outcome: AuthOutcome =
      reason === 'ok'
        ? 'allowed'
        : reason === 'jwks_unavailable' || reason === 'revocation_unavailable'
          ? 'unavailable'
          : 'denied';
    // The decision in the request's trace too: an `auth.decision` span (no-op without an SDK).
    markSpan(
      'auth.decision',
      { 'auth.outcome': outcome, 'auth.reason': reason },
      outcome === 'unavailable',
    );
    if (!this.decisions) return;
    let series = this.byReason.get(reason);
    if (!series) {
      series = this.decisions.labels({ outcome, reason });
      this.byReason.set(reason, series);
    }
    series.inc();
  }

  jwksFetch(outcome: 'success' | 'failure'): void {
    this.fetches?.inc({ outcome });
  }

  /**
   * Gauges of the revocation list, read when scraped: entries held, when it last loaded, and
   * whether its store answers (0 while the last list is enforced without it). Its denials are
   * `auth_decisions_total{reason="revoked"}`.
   */
  revocationList(status: () => RevocationStatus): void {
    const registry = this.registry;
    if (!registry) return;
    const gauge = (name: string, help: string, value: (s: RevocationStatus) => number) =>
      getOrCreate(
        registry,
        name,
        () =>
          new Gauge({
            name,
            help,
            registers: [registry],
            collect() {
              this.set(value(status()));
            },
          }),
      );
    gauge('auth_revocation_entries', 'Entries of the revocation list held', (s) => s.entries);
    gauge(
      'auth_revocation_loaded_timestamp_seconds',
      'When the revocation list was last read from its store (0: never)',
      (s) => (s.loadedAt ?? 0) / 1000,
    );
    gauge(
      'auth_revocation_store_up',
      'Whether the revocation list store answers (0: the last list is enforced without it)',
      (s) => Number(s.state === 'live'),
    );
  }
}
