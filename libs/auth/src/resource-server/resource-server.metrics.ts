import { Injectable, Optional } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import type { AuthFailureCode } from './resource-server.errors.js';

/** `outcome` label of `auth_decisions_total`. */
export type AuthOutcome = 'allowed' | 'denied' | 'unavailable';

/** Counters of the resource server, on the app's `Registry` when `MetricsModule` is present. */
@Injectable()
export class ResourceServerMetrics {
  private readonly decisions?: Counter<'outcome' | 'reason'>;
  private readonly fetches?: Counter<'outcome'>;

  constructor(@Optional() registry?: Registry) {
    if (!registry) return;
    this.decisions =
      (registry.getSingleMetric('auth_decisions_total') as Counter<'outcome' | 'reason'>) ??
      new Counter({
        name: 'auth_decisions_total',
        help: 'Resource-server authentication and authorisation decisions, by outcome and reason',
        labelNames: ['outcome', 'reason'],
        registers: [registry],
      });
    this.fetches =
      (registry.getSingleMetric('auth_jwks_fetches_total') as Counter<'outcome'>) ??
      new Counter({
        name: 'auth_jwks_fetches_total',
        help: 'Fetches of the issuer key set (JWKS), by outcome',
        labelNames: ['outcome'],
        registers: [registry],
      });
  }

  decision(reason: AuthFailureCode | 'ok'): void {
    const outcome: AuthOutcome =
      reason === 'ok' ? 'allowed' : reason === 'jwks_unavailable' ? 'unavailable' : 'denied';
    this.decisions?.inc({ outcome, reason });
  }

  jwksFetch(outcome: 'success' | 'failure'): void {
    this.fetches?.inc({ outcome });
  }
}
