import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  type INestApplication,
  Injectable,
  Module,
} from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { Public } from '../shared/public.decorator.js';
import { HealthModule } from './health.module.js';
import type { ReadinessIndicator } from './readiness-indicator.js';

@Injectable()
class KeySet {
  loaded = false;
}

@Module({ providers: [KeySet], exports: [KeySet] })
class KeySetModule {}

@Injectable()
class KeySetIndicator implements ReadinessIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly keys: KeySet,
  ) {}
  isHealthy() {
    const check = this.health.check('jwks');
    return this.keys.loaded ? check.up({ keys: 2 }) : check.down({ reason: 'key set not loaded' });
  }
}

@Injectable()
class BrokenIndicator implements ReadinessIndicator {
  static broken = false;
  constructor(private readonly health: HealthIndicatorService) {}
  async isHealthy() {
    await Promise.resolve();
    if (BrokenIndicator.broken) throw new Error('issuer unreachable');
    return this.health.check('issuer').up();
  }
}

// Deny by default, as the resource server does: only @Public() routes pass.
@Injectable()
class DenyUnlessPublic implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    return (
      this.reflector.getAllAndOverride(Public, [context.getHandler(), context.getClass()]) === true
    );
  }
}

@Controller()
class PrivateController {
  @Get('private')
  secret() {
    return { secret: true };
  }
}

let app: INestApplication;
let keys: KeySet;

beforeAll(async () => {
  const ref = await Test.createTestingModule({
    imports: [
      KeySetModule,
      HealthModule.forRoot({
        readiness: [KeySetIndicator, BrokenIndicator],
        imports: [KeySetModule],
      }),
    ],
    controllers: [PrivateController],
    providers: [{ provide: APP_GUARD, useClass: DenyUnlessPublic }],
  }).compile();
  app = ref.createNestApplication({ logger: false });
  await app.init();
  keys = app.get(KeySet);
});

afterAll(() => app.close());

describe('HealthModule', () => {
  it('is live while serving, whatever the indicators say', async () => {
    keys.loaded = false;
    const res = await request(app.getHttpServer()).get('/health/live').expect(200);
    expect(res.body).toMatchObject({ status: 'ok' });
  });

  it('turns ready when the indicator comes up, and back to 503 when it goes down', async () => {
    keys.loaded = false;
    const down = await request(app.getHttpServer()).get('/health/ready').expect(503);
    expect(down.body).toMatchObject({
      status: 'error',
      error: { jwks: { status: 'down', reason: 'key set not loaded' } },
      info: { issuer: { status: 'up' } },
    });

    keys.loaded = true;
    const up = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(up.body).toMatchObject({
      status: 'ok',
      details: { jwks: { status: 'up', keys: 2 }, issuer: { status: 'up' } },
    });
    expect(up.headers['cache-control']).toMatch(/no-cache/);

    keys.loaded = false;
    await request(app.getHttpServer()).get('/health/ready').expect(503);
  });

  it('reports a throwing indicator as down under its name, not as a 500', async () => {
    keys.loaded = true;
    BrokenIndicator.broken = true;
    const res = await request(app.getHttpServer()).get('/health/ready').expect(503);
    expect(res.body.error).toEqual({
      BrokenIndicator: { status: 'down', reason: 'issuer unreachable' },
    });
    BrokenIndicator.broken = false;
    await request(app.getHttpServer()).get('/health/ready').expect(200);
  });

  it('passes a deny-by-default guard, which still protects other routes', async () => {
    await request(app.getHttpServer()).get('/health/live').expect(200);
    await request(app.getHttpServer()).get('/private').expect(403);
  });
});
