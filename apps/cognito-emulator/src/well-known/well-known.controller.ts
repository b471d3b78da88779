import type { Pool } from '@app/fleet-auth';
import { Controller, Get, Header, Inject, NotFoundException, Param } from '@nestjs/common';
import type { JWK } from 'jose';
import { POOL } from '../emulator.tokens.js';
import { KeyStore } from '../keys/key-store.js';
import { EmulatorMetrics } from '../metrics/emulator-metrics.js';
import { EmulatorRuntime } from '../tokens/emulator-runtime.js';

@Controller(':poolId/.well-known')
export class WellKnownController {
  private readonly scopes: string[];

  constructor(
    @Inject(POOL) private readonly pool: Pool,
    @Inject(KeyStore) private readonly keys: KeyStore,
    @Inject(EmulatorRuntime) private readonly runtime: EmulatorRuntime,
    private readonly metrics: EmulatorMetrics,
  ) {
    this.scopes = [
      'openid',
      'email',
      'phone',
      'profile',
      ...pool.resourceServers.flatMap((rs) => rs.scopes.map((s) => `${rs.identifier}/${s.name}`)),
    ];
  }

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks(@Param('poolId') poolId: string): { keys: JWK[] } {
    this.checkPool(poolId);
    this.metrics.jwksRequest();
    return this.keys.jwks();
  }

  @Get('openid-configuration')
  openidConfiguration(@Param('poolId') poolId: string): Record<string, unknown> {
    this.checkPool(poolId);
    return {
      issuer: this.runtime.issuer,
      jwks_uri: this.runtime.jwksUri,
      token_endpoint: this.runtime.tokenUrl,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: ['token'],
      scopes_supported: this.scopes,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    };
  }

  private checkPool(poolId: string): void {
    if (poolId !== this.pool.userPoolId) {
      throw new NotFoundException(`no user pool "${poolId}"`);
    }
  }
}
