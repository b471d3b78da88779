import type { ReadinessIndicator } from '@nest-m2m-cognito/auth/observability';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { KeyStore } from '../keys/key-store.js';
import { PoolStore } from '../pool/pool-store.js';

/** Ready once the signing keys and the user pool are loaded (both happen before listening). */
@Injectable()
export class KeysAndPoolIndicator implements ReadinessIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly keys: KeyStore,
    @Inject(PoolStore) private readonly pool: PoolStore,
  ) {}

  isHealthy() {
    const check = this.health.check('issuer');
    const published = this.keys.jwks().keys.length;
    if (published === 0) return check.down({ reason: 'no signing key is loaded' });
    return check.up({
      userPoolId: this.pool.userPoolId,
      clients: this.pool.clients().length,
      keys: published,
    });
  }
}
