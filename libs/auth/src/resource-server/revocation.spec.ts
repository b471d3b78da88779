// The resource server with a revocation list (on an in-memory store of one's own): revoked
// tokens refused whether cached or not, by jti and by client, 503 before the list loads,
// readiness and metrics; and a guard of one's own (passport) refusing them too.
import { Controller, Get, type INestApplication, Injectable, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { MetricsModule } from '../observability/metrics.module.js';
import { MemoryRevocationStore } from '../revocation/memory-revocation-store.fixture-spec.js';
import type { RevocationList } from '../revocation/revocation-list.js';
import { revoke } from '../revocation/revoke.js';
import { Public } from '../shared/public.decorator.js';
import { RESOURCE_SERVER_READINESS, type ResourceServerReadiness } from '../shared/readiness.js';
import { AnyValidToken } from './any-valid-token.decorator.js';
import { JwtStrategy } from './jwt.strategy.js';
import { REVOCATION_LIST } from './resource-server.module-definition.js';
import { ResourceServerModule } from './resource-server.module.js';
import { TestIssuer } from './test-issuer.fixture-spec.js';

@Injectable()
class OwnGuard extends AuthGuard(JwtStrategy.strategyName) {}

@Controller()
class ApiController {
  @AnyValidToken()
  @Get('any')
  any() {
    return { ok: true };
  }

  @Public()
  @UseGuards(OwnGuard)
  @Get('own')
  own() {
    return { ok: true };
  }
}

describe('ResourceServerModule with a revocation list', () => {
  let iss: TestIssuer;
  let store: MemoryRevocationStore;
  let app: INestApplication;
  const boot = async () => {
    const ref = await Test.createTestingModule({
      imports: [
        MetricsModule.forRoot({ collectDefaultMetrics: false }),
        ResourceServerModule.forRoot({
          issuer: iss.issuer,
          realm: 'weather-api',
          revocation: { store, reloadIntervalMs: 60_000, startupWaitMs: 500 },
        }),
      ],
      controllers: [ApiController],
      providers: [OwnGuard],
    }).compile();
    const started = ref.createNestApplication({ logger: false });
    await started.init();
    return started;
  };
  const get = (path: string, token: string) =>
    request(app.getHttpServer()).get(path).set('Authorization', `Bearer ${token}`);
  const revoked = async (token: string) => {
    const res = await get('/any', token);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="weather-api", error="invalid_token", error_description="the token has been revoked"',
    );
    expect(res.body).toEqual({
      error: 'invalid_token',
      error_description: 'the token has been revoked',
    });
  };

  beforeAll(async () => {
    iss = await TestIssuer.start();
    store = new MemoryRevocationStore();
    app = await boot();
  });
  afterAll(async () => {
    await app.close();
    await iss.close();
  });

  it('refuses a cached token once its jti is revoked, and only that one', async () => {
    const jti = crypto.randomUUID();
    const token = await iss.token({ jti });
    const other = await iss.token();
    for (let i = 0; i < 2; i++) await get('/any', token).expect(200); // verified, then cached
    await revoke(store, { jti });
    await revoked(token);
    await get('/any', other).expect(200);
    // Never seen before, revoked already: refused on the verification path as well.
    const fresh = crypto.randomUUID();
    await revoke(store, { jti: fresh });
    await revoked(await iss.token({ jti: fresh }));
  });

  it("refuses a client's tokens issued at or before its revocation, and passes later ones", async () => {
    const now = Math.floor(Date.now() / 1000);
    const old = await iss.token({ client_id: 'weather-admin', iat: now - 30 });
    await get('/any', old).expect(200);
    await revoke(store, { clientId: 'weather-admin', before: (now - 1) * 1000 });
    await revoked(old);
    await revoked(await iss.token({ client_id: 'weather-admin', iat: now - 1 }));
    await get('/any', await iss.token({ client_id: 'weather-admin', iat: now })).expect(200);
    await get('/any', await iss.token({ client_id: 'weather-caller', iat: now - 30 })).expect(200);
  });

  it('refuses revoked tokens through a guard of its own (passport) too', async () => {
    const jti = crypto.randomUUID();
    const token = await iss.token({ jti });
    await get('/own', token).expect(200);
    await revoke(store, { jti });
    await get('/own', token).expect(401);
  });

  it('reports its state on readiness and in metrics, revoked denials counted', async () => {
    const readiness = await app.get<ResourceServerReadiness>(RESOURCE_SERVER_READINESS).readiness();
    expect(readiness.revocation).toMatchObject({ up: true, state: 'live', entries: 4 });
    const metrics = (await request(app.getHttpServer()).get('/metrics')).text;
    expect(metrics).toMatch(/^auth_revocation_entries 4$/m);
    expect(metrics).toMatch(/^auth_revocation_store_up 1$/m);
    expect(metrics).toMatch(/^auth_revocation_loaded_timestamp_seconds \d{10}/m);
    expect(metrics).toMatch(/auth_decisions_total\{outcome="denied",reason="revoked"\} [4-9]/);
  });

  it('while its store is down keeps enforcing the last list and says so; a replica started then answers 503', async () => {
    const jti = crypto.randomUUID();
    const token = await iss.token({ jti });
    await revoke(store, { jti });
    store.down = true;
    try {
      await app.get<RevocationList>(REVOCATION_LIST).reload();
      await revoked(token);
      const readiness = await app
        .get<ResourceServerReadiness>(RESOURCE_SERVER_READINESS)
        .readiness();
      expect(readiness.revocation).toMatchObject({ up: true, state: 'stale', reason: 'TIMEOUT' });
      const metrics = (await request(app.getHttpServer()).get('/metrics')).text;
      expect(metrics).toMatch(/^auth_revocation_store_up 0$/m);

      const fresh = await boot();
      try {
        const res = await request(fresh.getHttpServer())
          .get('/any')
          .set('Authorization', `Bearer ${await iss.token()}`);
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toBe('1');
        expect(res.body.error).toBe('temporarily_unavailable');
        const notLoaded = await fresh
          .get<ResourceServerReadiness>(RESOURCE_SERVER_READINESS)
          .readiness();
        expect(notLoaded.revocation).toMatchObject({ up: false, state: 'loading' });
      } finally {
        await fresh.close();
      }
    } finally {
      store.down = false;
    }
    await app.get<RevocationList>(REVOCATION_LIST).reload();
    expect(
      (await app.get<ResourceServerReadiness>(RESOURCE_SERVER_READINESS).readiness()).revocation,
    ).toMatchObject({ up: true, state: 'live' });
  });
});
