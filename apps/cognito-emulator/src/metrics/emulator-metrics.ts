import { Inject, Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { PoolStore } from '../pool/pool-store.js';

/**
 * The `grant_type` label of tokens asked for through GetClientToken, the API's client
 * credentials grant: one counter for every M2M token request, the way told apart.
 */
export const GET_CLIENT_TOKEN = 'GetClientToken';

const GRANT_TYPES = new Set([
  GET_CLIENT_TOKEN,
  'client_credentials',
  'authorization_code',
  'refresh_token',
  'password',
  'implicit',
]);

/**
 * Distinct client ids that get a `client_id` label of their own; further ones are counted as
 * `other`. Above Cognito's 1000 clients per pool plus a pool file's, so it only bites when
 * the control plane creates and deletes clients over and over: each new id would otherwise
 * add series that are never removed.
 */
const MAX_LABELLED_CLIENTS = 1100;

/** Counters tests and users read to see what callers and APIs really ask for. */
@Injectable()
export class EmulatorMetrics {
  private readonly tokenRequests: Counter<'client_id' | 'grant_type' | 'outcome'>;
  private readonly jwksRequests: Counter;
  private readonly labelledClients = new Set<string>();
  constructor(
    registry: Registry,
    @Inject(PoolStore) private readonly pool: PoolStore,
  ) {
    this.tokenRequests = new Counter({
      name: 'cognito_emulator_token_requests_total',
      help: 'Token requests (token endpoint and GetClientToken) by client, grant type (GetClientToken for the API) and outcome (success, OAuth error code or API exception)',
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
      client_id: this.clientLabel(clientId),
      grant_type:
        grantType === undefined ? 'none' : GRANT_TYPES.has(grantType) ? grantType : 'other',
      outcome,
    });
  }

  jwksRequest(): void {
    this.jwksRequests.inc();
  }

  private clientLabel(clientId: string | undefined): string {
    if (clientId === undefined || !this.pool.client(clientId)) return 'unknown';
    if (this.labelledClients.has(clientId)) return clientId;
    if (this.labelledClients.size >= MAX_LABELLED_CLIENTS) return 'other';
    this.labelledClients.add(clientId);
    return clientId;
  }
}
