import { Controller, Delete, Get, Injectable, Post } from '@nestjs/common';
import { DiscoveryModule, Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { Public } from '../shared/public.decorator.js';
import { AnyValidToken } from './any-valid-token.decorator.js';
import { claim } from './custom-claim.js';
import { RequireClaim } from './require-claim.decorator.js';
import { RoutePolicyAudit, routePolicyOf } from './route-policy.js';
import { Scopes } from './scopes.decorator.js';

// What `nest g resource items` generates: no policy anywhere.
@Controller('items')
class ItemsController {
  @Get()
  findAll() {}
  @Delete(':id')
  remove() {}
}

@Scopes('api/read')
@Controller(['stock', 'legacy-stock'])
class StockController {
  @Get()
  list() {}
  @Scopes('api/write')
  @Post()
  create() {}
  @Public()
  @Get('ping')
  ping() {}
  /** Not a route: no HTTP method decorator. */
  helper() {}
}

@Controller()
class MixedController {
  @AnyValidToken()
  @Get('whoami')
  whoami() {}
  @Public()
  @Scopes('api/read')
  @Get('both')
  both() {}
}

@Injectable()
class NotAController {}

async function problems(...controllers: (new () => object)[]) {
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule],
    controllers,
    providers: [NotAController, RoutePolicyAudit],
  }).compile();
  return moduleRef.get(RoutePolicyAudit).problems();
}

describe('RoutePolicyAudit', () => {
  it('names every route of a generated controller, with method, path and handler', async () => {
    expect(await problems(ItemsController)).toEqual([
      { route: 'GET /items (ItemsController.findAll)', problem: 'none' },
      { route: 'DELETE /items/:id (ItemsController.remove)', problem: 'none' },
    ]);
  });

  it('accepts a controller-level policy that handlers inherit or override', async () => {
    expect(await problems(StockController)).toEqual([]);
  });

  it('flags conflicting declarations on one handler', async () => {
    expect(await problems(MixedController)).toEqual([
      { route: 'GET /both (MixedController.both)', problem: 'conflicting' },
    ]);
  });
});

describe('routePolicyOf', () => {
  const reflector = new Reflector();
  const of = (controller: new () => object, name: string) =>
    routePolicyOf(
      reflector,
      (controller.prototype as Record<string, () => void>)[name],
      controller,
    );

  const scoped = (...scopes: string[]) => ({ public: false, scopes, claims: [], declared: true });

  it("takes the handler's declaration over its controller's", () => {
    expect(of(StockController, 'list')).toEqual(scoped('api/read'));
    expect(of(StockController, 'create')).toEqual(scoped('api/write'));
    expect(of(StockController, 'ping')).toEqual({
      public: true,
      scopes: [],
      claims: [],
      declared: true,
    });
    expect(of(MixedController, 'whoami')).toEqual(scoped());
  });

  it('resolves a conflict to the strictest declaration; a route without one is undeclared', () => {
    expect(of(MixedController, 'both')).toEqual(scoped('api/read'));
    expect(of(ItemsController, 'remove')).toEqual({
      public: false,
      scopes: [],
      claims: [],
      declared: false,
    });
  });
});

describe('routePolicyOf and @RequireClaim', () => {
  const TenantId = claim('tenant_id');

  @RequireClaim(TenantId)
  @Scopes('api/read')
  @Controller('tenants')
  class TenantsController {
    @RequireClaim('role', 'admin')
    @RequireClaim('tier', [2, 3])
    @Get()
    list() {}
  }

  it("merges the handler's and the controller's requirements, stacked ones included", () => {
    const policy = routePolicyOf(
      new Reflector(),
      TenantsController.prototype.list,
      TenantsController,
    );
    expect(policy.scopes).toEqual(['api/read']);
    expect(policy.claims.map((c) => c.claim).sort()).toEqual(['role', 'tenant_id', 'tier']);
  });
});
