import { Controller, Get, Header, Headers, Inject, NotFoundException, Param } from '@nestjs/common';
import type { JWK } from 'jose';
import { KeyStore } from '../keys/key-store.js';
import { EmulatorMetrics } from '../metrics/emulator-metrics.js';
import { PoolStore } from '../pool/pool-store.js';
import { EmulatorRuntime } from '../tokens/emulator-runtime.js';

/**
 * The user pool's published documents: its key set and its OpenID Connect discovery. Both
 * answer at every host the emulator is reached by; imitating Cognito's hosts, the key set is
 * the same at both issuer hosts (as Cognito's "updated issuers host the same JWKS content")
 * and discovery names the issuer of the host it was asked at (OpenID Connect Discovery §4.3:
 * the issuer is the URL the document was retrieved from), so tokens of either form verify
 * while both are in flight.
 */
@Controller(':poolId/.well-known')
export class WellKnownController {
  constructor(
    @Inject(PoolStore) private readonly pool: PoolStore,
    @Inject(KeyStore) private readonly keys: KeyStore,
    @Inject(EmulatorRuntime) private readonly runtime: EmulatorRuntime,
    private readonly metrics: EmulatorMetrics,
  ) {}

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks(@Param('poolId') poolId: string): { keys: JWK[] } {
    this.checkPool(poolId);
    this.metrics.jwksRequest();
    return this.keys.jwks();
  }

  /**
   * The fields and values a real pool publishes (compared field by field with one in the
   * tests). The domain endpoints live on the emulator's own base, as they would on a pool's
   * domain; `/oauth2/authorize` and `/logout` (the hosted UI) are not emulated and say so
   * (hosted-ui.controller.ts).
   */
  @Get('openid-configuration')
  openidConfiguration(
    @Param('poolId') poolId: string,
    @Headers('host') host: string | undefined,
  ): Record<string, unknown> {
    this.checkPool(poolId);
    const domain = this.runtime.base;
    const issuer = this.runtime.issuerAt(host);
    return {
      authorization_endpoint: `${domain}/oauth2/authorize`,
      end_session_endpoint: `${domain}/logout`,
      id_token_signing_alg_values_supported: ['RS256'],
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      response_types_supported: ['code', 'token'],
      revocation_endpoint: `${domain}/oauth2/revoke`,
      scopes_supported: ['openid', 'email', 'phone', 'profile'],
      subject_types_supported: ['public'],
      token_endpoint: this.runtime.tokenUrl,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      userinfo_endpoint: `${domain}/oauth2/userInfo`,
    };
  }

  private checkPool(poolId: string): void {
    if (poolId !== this.pool.userPoolId) {
      throw new NotFoundException(`no user pool "${poolId}"`);
    }
  }
}
