import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { MetricsModule } from '../observability/metrics.module.js';
import { Public } from '../shared/public.decorator.js';
import { AnyValidToken } from './any-valid-token.decorator.js';
import { claim } from './custom-claim.js';
import { Principal } from './principal.decorator.js';
import { RequireClaim } from './require-claim.decorator.js';
import { RoutePolicyError } from './resource-server.errors.js';
import { ResourceServerModule } from './resource-server.module.js';
import { Scopes } from './scopes.decorator.js';
import { TestIssuer } from './test-issuer.fixture-spec.js';

const TenantId = claim('tenant_id');
const Tier = claim('tier', 'number');
const Entitlements = claim('entitlements', 'string[]');

@RequireClaim(TenantId)
@Controller('tenant')
class TenantController {
  @Scopes('weather-api/forecast.read')
  @Get('any')
  any(@Principal() p: Principal) {
    // Typed: string | undefined (here always a string), number | undefined, list | undefined.
    const tenant: string | undefined = TenantId.of(p);
    const tier: number | undefined = Tier.of(p);
    const entitlements: readonly string[] | undefined = Entitlements.of(p);
    return { tenant, tier: tier ?? null, entitlements: entitlements ?? null };
  }

  @AnyValidToken()
  @RequireClaim(TenantId, ['acme', 'globex'])
  @Get('acme-or-globex')
  oneOf() {
    return { ok: true };
  }

  @AnyValidToken()
  @RequireClaim(Tier, (tier) => tier >= 2)
  @RequireClaim(Entitlements, 'reports')
  @Get('premium-reports')
  stacked() {
    return { ok: true };
  }

  @AnyValidToken()
  @RequireClaim('custom:flags', (value) => (value as string).startsWith('x-'))
  @Get('predicate')
  predicate() {
    return { ok: true };
  }
}

async function boot(iss: TestIssuer, controllers: (new () => object)[]) {
  const ref = await Test.createTestingModule({
    imports: [
      MetricsModule.forRoot({ collectDefaultMetrics: false }),
      ResourceServerModule.forRoot({ issuer: iss.issuer, realm: 'weather-api' }),
    ],
    controllers,
  }).compile();
  const app = ref.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('claim()', () => {
  const principal = (claims: Record<string, unknown>) => ({
    clientId: 'c',
    subject: 'c',
    scopes: [],
    tokenUse: 'access' as const,
    claims,
  });

  it('reads a claim of its declared type, and nothing of another type', () => {
    const p = principal({ tenant_id: 'acme', tier: 2, entitlements: ['a', 'b'], wrong: 7 });
    expect(TenantId.of(p)).toBe('acme');
    expect(Tier.of(p)).toBe(2);
    expect(Entitlements.of(p)).toEqual(['a', 'b']);
    expect(claim('wrong').of(p)).toBeUndefined();
    expect(claim('tier', 'boolean').of(p)).toBeUndefined();
    expect(claim('entitlements').of(principal({ entitlements: ['a', 1] }))).toBeUndefined();
  });

  it("reads the token's own claims only, never what objects inherit", () => {
    const p = principal({});
    expect(claim('constructor', 'string').of(p)).toBeUndefined();
    expect(claim('toString', 'string').of(p)).toBeUndefined();
  });

  it('refuses an empty name and an unknown type', () => {
    expect(() => claim('')).toThrow(TypeError);
    expect(() => claim('x', 'object' as 'string')).toThrow(/not a claim type/);
  });
});

describe('@RequireClaim', () => {
  let iss: TestIssuer;
  let app: INestApplication;
  beforeAll(async () => {
    iss = await TestIssuer.start();
    app = await boot(iss, [TenantController]);
  });
  afterAll(async () => {
    await app.close();
    await iss.close();
  });

  const get = async (path: string, claims: Record<string, unknown>) =>
    request(app.getHttpServer())
      .get(path)
      .set('Authorization', `Bearer ${await iss.token(claims)}`);

  const refused = async (path: string, claims: Record<string, unknown>, name: string) => {
    const res = await get(path, claims);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe(
      `Bearer realm="weather-api", error="insufficient_scope", error_description="the token lacks a required claim (${name})"`,
    );
    expect(res.body).toEqual({
      error: 'insufficient_scope',
      error_description: `the token lacks a required claim (${name})`,
      claim: name,
    });
    // The claim's value is never echoed.
    for (const value of Object.values(claims)) {
      if (typeof value === 'string') expect(res.text).not.toContain(value);
    }
  };

  it("requires the controller's claim on every route, and hands handlers typed values", async () => {
    const ok = await get('/tenant/any', { tenant_id: 'acme', tier: 3, entitlements: ['reports'] });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ tenant: 'acme', tier: 3, entitlements: ['reports'] });
    await refused('/tenant/any', {}, 'tenant_id');
    await refused('/tenant/any', { tenant_id: 42 }, 'tenant_id');
    await refused('/tenant/any', { tenant_id: null }, 'tenant_id');
  });

  it('checks a value against several allowed ones, with the controller requirement still on', async () => {
    expect((await get('/tenant/acme-or-globex', { tenant_id: 'globex' })).status).toBe(200);
    await refused('/tenant/acme-or-globex', { tenant_id: 'initech' }, 'tenant_id');
  });

  it('applies stacked requirements, all of them (typed predicate, a value in a list claim)', async () => {
    const base = { tenant_id: 'acme' };
    expect(
      (await get('/tenant/premium-reports', { ...base, tier: 2, entitlements: ['reports'] }))
        .status,
    ).toBe(200);
    await refused(
      '/tenant/premium-reports',
      { ...base, tier: 1, entitlements: ['reports'] },
      'tier',
    );
    await refused(
      '/tenant/premium-reports',
      { ...base, tier: 2, entitlements: ['x'] },
      'entitlements',
    );
    await refused(
      '/tenant/premium-reports',
      { ...base, tier: '2', entitlements: ['reports'] },
      'tier',
    );
  });

  it('refuses (403, never 500) a value its predicate cannot judge', async () => {
    const tenant = { tenant_id: 'tenant-9' };
    expect((await get('/tenant/predicate', { ...tenant, 'custom:flags': 'x-1' })).status).toBe(200);
    await refused('/tenant/predicate', { ...tenant, 'custom:flags': 5 }, 'custom:flags');
  });

  it('answers a bad token 401 before any claim is looked at', async () => {
    const res = await request(app.getHttpServer()).get('/tenant/any');
    expect(res.status).toBe(401);
  });

  it('counts claim denials under their own reason', async () => {
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(res.text).toMatch(
      /auth_decisions_total\{outcome="denied",reason="insufficient_claim"\} [1-9]/,
    );
  });
});

describe('@RequireClaim and the route policy', () => {
  @Controller()
  class ClaimOnlyController {
    @RequireClaim(TenantId)
    @Get('claim-only')
    claimOnly() {}
  }

  @Controller()
  class PublicClaimController {
    @Public()
    @RequireClaim(TenantId)
    @Get('open')
    open() {}
  }

  it('is no policy by itself, and cannot narrow a @Public route: start-up refuses both', async () => {
    const iss = await TestIssuer.start();
    for (const [controller, route] of [
      [ClaimOnlyController, 'GET /claim-only (ClaimOnlyController.claimOnly)'],
      [
        PublicClaimController,
        'GET /open (PublicClaimController.open): @RequireClaim on a @Public() route',
      ],
    ] as const) {
      const failure = await boot(iss, [controller]).then(
        (app) => app.close(),
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(RoutePolicyError);
      expect((failure as RoutePolicyError).routes).toEqual([route]);
    }
    await iss.close();
  });
});
