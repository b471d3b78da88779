import { Injectable, mixin, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import { TokenEndpointError } from '../client/client.errors.js';
import { getTokenProviderToken } from '../client/client.tokens.js';
import type { TokenProvider } from '../client/token-provider.js';
import type { ReadinessIndicator } from './readiness-indicator.js';

/** How long a probe waits for a first token; the request goes on and fills the cache. */
const PROBE_WAIT_MS = 2_000;

type Probe = { ok: true } | { ok: false; reason: string };

async function probe(provider: TokenProvider): Promise<Probe> {
  if (await provider.hasValidToken()) return { ok: true };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Probe>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, reason: 'the token endpoint has not answered yet' }),
      PROBE_WAIT_MS,
    );
  });
  const fetched = provider.getToken().then(
    (): Probe => ({ ok: true }),
    (error: unknown): Probe => ({
      ok: false,
      reason:
        error instanceof TokenEndpointError
          ? `the token endpoint refused the client: ${error.code}`
          : 'the token endpoint is unreachable',
    }),
  );
  try {
    return await Promise.race([fetched, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Readiness of an M2M client service: up when each named client holds a valid token or
 * gets one from the token endpoint now (a probe waits at most 2 s; a slower request goes
 * on and fills the cache for the next probe). A client the endpoint refuses
 * (`invalid_client`, ...) keeps the service down: no call it makes could succeed. The
 * result is keyed `m2m`, with one entry per client.
 *
 * @example
 * ```ts
 * const read = M2MClientModule.register({ name: 'weather-read', ... });
 * @Module({
 *   imports: [
 *     read,
 *     HealthModule.forRoot({ readiness: [TokenProviderReadinessIndicator('weather-read')], imports: [read] }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export function TokenProviderReadinessIndicator(
  ...clientNames: string[]
): Type<ReadinessIndicator> {
  @Injectable()
  class TokenProviderReadiness implements ReadinessIndicator {
    private providers: TokenProvider[] | undefined;

    constructor(
      private readonly health: HealthIndicatorService,
      private readonly moduleRef: ModuleRef,
    ) {}

    private resolve(): TokenProvider[] {
      this.providers ??= clientNames.map((name) =>
        this.moduleRef.get<TokenProvider>(getTokenProviderToken(name), { strict: false }),
      );
      return this.providers;
    }

    async isHealthy() {
      const results = await Promise.all(this.resolve().map((p) => probe(p)));
      const details = Object.fromEntries(
        clientNames.map((name, i) => [name, results[i].ok ? 'up' : results[i].reason]),
      );
      const check = this.health.check('m2m');
      return results.every((r) => r.ok) ? check.up(details) : check.down(details);
    }
  }
  return mixin(TokenProviderReadiness);
}
