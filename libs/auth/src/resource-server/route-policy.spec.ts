import { Controller, Delete, Get, Injectable, Post } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { Public } from './public.decorator.js';
import { AnyValidToken, routePolicyOf, routePolicyProblems } from './route-policy.js';
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
    providers: [NotAController],
  }).compile();
  return routePolicyProblems(
    moduleRef.get(DiscoveryService),
    moduleRef.get(MetadataScanner),
    moduleRef.get(Reflector),
  );
}

describe('routePolicyProblems', () => {
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

  it("takes the handler's declaration over its controller's", () => {
    expect(of(StockController, 'list')).toEqual({ kind: 'scopes', scopes: ['api/read'] });
    expect(of(StockController, 'create')).toEqual({ kind: 'scopes', scopes: ['api/write'] });
    expect(of(StockController, 'ping')).toEqual({ kind: 'public' });
    expect(of(MixedController, 'whoami')).toEqual({ kind: 'any_valid_token' });
  });

  it('resolves a conflict to the most restrictive declaration, and none to undefined', () => {
    expect(of(MixedController, 'both')).toEqual({ kind: 'scopes', scopes: ['api/read'] });
    expect(of(ItemsController, 'remove')).toBeUndefined();
  });
});
