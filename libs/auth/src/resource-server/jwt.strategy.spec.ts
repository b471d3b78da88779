import { Controller, Get, type INestApplication, Injectable, Req, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { Test } from '@nestjs/testing';
import passport from 'passport';
import request from 'supertest';
import { AnyValidToken } from './any-valid-token.decorator.js';
import { JwtStrategy } from './jwt.strategy.js';
import { Principal } from './principal.decorator.js';
import { ResourceServerError } from './resource-server.errors.js';
import { ResourceServerModule } from './resource-server.module.js';
import { Public } from '../shared/public.decorator.js';
import { TestIssuer } from './test-issuer.fixture-spec.js';

/** A guard of an app's own, on the library's strategy through @nestjs/passport. */
@Injectable()
class CognitoGuard extends AuthGuard(JwtStrategy.strategyName) {
  override handleRequest<T>(err: unknown, user: T, info: unknown): T {
    // What passport hands over on a refusal: the library's typed error.
    if (!user) refusals.push(info instanceof ResourceServerError ? info.code : 'untyped');
    return super.handleRequest<T>(err, user, info, undefined as never);
  }
}
const refusals: string[] = [];

interface SeenRequest {
  user?: unknown;
  logIn?: unknown;
  authInfo?: unknown;
}

@Controller()
class OwnGuardController {
  // The library's global guard is off for this route; the app's own guard protects it.
  @Public()
  @UseGuards(CognitoGuard)
  @Get('own')
  own(@Req() req: SeenRequest, @Principal() principal: Principal) {
    return { same: req.user === principal, clientId: principal.clientId };
  }

  @AnyValidToken()
  @Get('library')
  library(@Req() req: SeenRequest, @Principal() principal: Principal) {
    return {
      same: req.user === principal,
      // passport's middleware adds these to every request it sees; JwtAuthGuard never calls it.
      passportTouched: req.logIn !== undefined || req.authInfo !== undefined,
    };
  }
}

describe('JwtStrategy as a passport strategy', () => {
  let iss: TestIssuer;
  let app: INestApplication;

  beforeAll(async () => {
    iss = await TestIssuer.start();
    const ref = await Test.createTestingModule({
      imports: [ResourceServerModule.forRoot({ issuer: iss.issuer, realm: 'weather-api' })],
      controllers: [OwnGuardController],
      providers: [CognitoGuard],
    }).compile();
    app = ref.createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(async () => {
    await app?.close();
    await iss?.close();
  });

  it('registers with passport under its name while the app runs', () => {
    const registered = (passport as unknown as { _strategy(n: string): unknown })._strategy(
      JwtStrategy.strategyName,
    );
    expect(registered).toBe(app.get(JwtStrategy));
  });

  it('lets a guard of its own answer 200 with req.user the principal, and 401 to a bad token', async () => {
    const server = app.getHttpServer();
    const ok = await request(server)
      .get('/own')
      .set('Authorization', `Bearer ${await iss.token()}`)
      .expect(200);
    expect(ok.body).toEqual({ same: true, clientId: 'weather-caller' });

    refusals.length = 0;
    const now = Math.floor(Date.now() / 1000);
    await request(server)
      .get('/own')
      .set('Authorization', `Bearer ${await iss.token({ exp: now - 60 })}`)
      .expect(401);
    await request(server)
      .get('/own')
      .set('Authorization', `Bearer ${await iss.token({ iss: 'https://evil.example/pool' })}`)
      .expect(401);
    await request(server).get('/own').expect(401);
    await request(server).get('/own').set('Authorization', 'Bearer a b').expect(401);
    expect(refusals).toEqual(['expired', 'wrong_issuer', 'no_token', 'invalid_request']);
  });

  it('is not what JwtAuthGuard runs a request through: no passport middleware, the same principal', async () => {
    const res = await request(app.getHttpServer())
      .get('/library')
      .set('Authorization', `Bearer ${await iss.token()}`)
      .expect(200);
    expect(res.body).toEqual({ same: true, passportTouched: false });
  });

  it('leaves passport when the app closes', async () => {
    const other = await Test.createTestingModule({
      imports: [ResourceServerModule.forRoot({ issuer: iss.issuer })],
    }).compile();
    const second = other.createNestApplication({ logger: false });
    await second.init();
    const registry = passport as unknown as { _strategy(n: string): unknown };
    // The app started last owns the name; closing it leaves none behind.
    expect(registry._strategy(JwtStrategy.strategyName)).toBe(second.get(JwtStrategy));
    await second.close();
    expect(registry._strategy(JwtStrategy.strategyName)).toBeUndefined();
  });
});
