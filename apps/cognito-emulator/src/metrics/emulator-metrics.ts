import type { Pool } from '@app/fleet-auth';
import { Inject, Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { POOL } from '../emulator.tokens.js';

const GRANT_TYPES = new Set([
  'client_credentials',
  'authorization_code',
  'refresh_token',
  'password',
  'implicit',
]);

/** Counters tests and users read to see what callers and APIs really ask for. */
@Injectable()
export class EmulatorMetrics {
  private readonly tokenRequests: Counter<'client_id' | 'grant_type' | 'outcome'>;
  private readonly jwksRequests: Counter;
  private readonly knownClients: Set<string>;

  constructor(registry: Registry, @Inject(POOL) pool: Pool) {
    this.knownClients = new Set(pool.clients.map((c) => c.clientId));
    this.tokenRequests = new Counter({
      name: 'cognito_emulator_token_requests_total',
      help: 'Token endpoint requests by client, grant type and outcome (success or OAuth error code)',
      labelNames: ['client_id', 'grant_type', 'outcome'],
      registers: [registry],
    });
    this.jwksRequests = new Counter({
      name: 'cognito_emulator_jwks_requests_total',
      help: 'JWKS document requests',
      registers: [registry],
    });
  }

  /** Only known client ids and grant types become label values (bounded, never a secret). */
  tokenRequest(clientId: string | undefined, grantType: string | undefined, outcome: string): void {
    this.tokenRequests.inc({
      client_id: clientId !== undefined && this.knownClients.has(clientId) ? clientId : 'unknown',
      grant_type:
        grantType === undefined ? 'none' : GRANT_TYPES.has(grantType) ? grantType : 'other',
      outcome,
    });
  }

  jwksRequest(): void {
    this.jwksRequests.inc();
  }
}
