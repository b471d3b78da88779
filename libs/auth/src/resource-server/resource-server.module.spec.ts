import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CompactSign, SignJWT, base64url } from 'jose';
import request from 'supertest';
import { MetricsModule } from '../observability/metrics.module.js';
import { AnyValidToken } from './any-valid-token.decorator.js';
import { Principal } from './principal.decorator.js';
import { ResourceServerConfigError, RoutePolicyError } from './resource-server.errors.js';
import { Public } from '../shared/public.decorator.js';
import { ResourceServerModule } from './resource-server.module.js';
import {
  resolveResourceServerOptions,
  type ResourceServerModuleOptions,
} from './resource-server.options.js';
import { cognitoIssuer } from '../cognito/cognito-urls.js';
import { RESOURCE_SERVER_READINESS, type ResourceServerReadiness } from '../shared/readiness.js';
import { Scopes } from './scopes.decorator.js';
import { makeKey, TestIssuer } from './test-issuer.fixture-spec.js';

@Controller()
class DemoController {
  @Scopes('weather-api/forecast.read')
  @Get('read')
  read(@Principal() p: Principal) {
    return p;
  }
  @Scopes('weather-api/forecast.read', 'weather-api/forecast.write')
  @Get('write')
  write() {
    return {};
  }
  @AnyValidToken()
  @Get('any')
  any(@Principal() p: Principal) {
    return { clientId: p.clientId };
  }
  @AnyValidToken()
  @Get('mutate')
  mutate(@Principal() p: Principal) {
    const attempt = (change: () => void) => {
      try {
        change();
        return 'changed';
      } catch {
        return 'refused';
      }
    };
    return {
      claim: attempt(() => {
        (p.claims as Record<string, unknown>).scope = 'weather-api/forecast.write';
      }),
      nested: attempt(() => {
        (p.claims['cognito:groups'] as string[]).push('admins');
      }),
      scopes: attempt(() => {
        (p.scopes as string[]).push('weather-api/forecast.write');
      }),
      clientId: attempt(() => {
        (p as { clientId: string }).clientId = 'weather-admin';
      }),
    };
  }
  @Public()
  @Get('open')
  open() {
    return { ok: true };
  }
}

async function boot(options: ResourceServerModuleOptions): Promise<INestApplication> {
  const ref = await Test.createTestingModule({
    imports: [
      MetricsModule.forRoot({ collectDefaultMetrics: false }),
      ResourceServerModule.forRoot({ realm: 'weather-api', ...options }),
    ],
    controllers: [DemoController],
  }).compile();
  const app = ref.createNestApplication({ logger: false });
  await app.init();
  return app;
}

const challenge = (error: string) =>
  new RegExp(`^Bearer realm="weather-api", error="${error}", error_description="[^"]+"$`);

describe('ResourceServerModule', () => {
  let iss: TestIssuer;
  let app: INestApplication;
  const get = (path: string, auth?: string) => {
    const r = request(app.getHttpServer()).get(path);
    return auth === undefined ? r : r.set('Authorization', auth);
  };

  beforeAll(async () => {
    iss = await TestIssuer.start();
    app = await boot({ issuer: iss.issuer, jwksPenaltyWindowMs: 60_000 });
  });
  afterAll(async () => {
    await app.close();
    await iss.close();
  });

  it('lets a valid token with the scope in and hands the principal to the handler', async () => {
    const res = await get('/read', `Bearer ${await iss.token()}`).expect(200);
    expect(res.body).toMatchObject({
      clientId: 'weather-caller',
      subject: 'weather-caller',
      scopes: ['weather-api/forecast.read'],
      tokenUse: 'access',
    });
  });

  it('serves @Public routes without a token', async () => {
    await get('/open').expect(200, { ok: true });
  });

  it('answers no token with 401 and a challenge without error attribute', async () => {
    const res = await get('/read').expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="weather-api"');
    expect(res.body.error).toBe('unauthorized');
  });

  it('treats another scheme as no token', async () => {
    const res = await get('/read', 'Basic d2VhdGhlcjpzZWNyZXQ=').expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="weather-api"');
  });

  it.each([
    ['Bearer', 'empty credentials'],
    ['Bearer a b', 'two tokens'],
    ['Bearer a,b', 'a comma'],
    ['Bearer tok"en', 'a quote'],
  ])('answers %j (%s) with 400 invalid_request', async (header) => {
    const res = await get('/read', header).expect(400);
    expect(res.headers['www-authenticate']).toMatch(challenge('invalid_request'));
    expect(res.body.error).toBe('invalid_request');
  });

  it('answers two Authorization headers with 400 invalid_request', async () => {
    const token = await iss.token();
    const res = await request(app.getHttpServer())
      .get('/read')
      .set('Authorization', [`Bearer ${token}`, `Bearer ${token}`] as unknown as string)
      .expect(400);
    expect(res.body.error_description).toMatch(/more than one/);
  });

  const invalid = async (token: string, description: RegExp) => {
    const res = await get('/read', `Bearer ${token}`).expect(401);
    expect(res.headers['www-authenticate']).toMatch(challenge('invalid_token'));
    expect(res.body.error).toBe('invalid_token');
    expect(res.body.error_description).toMatch(description);
    expect(JSON.stringify(res.headers) + res.text).not.toContain(token);
  };

  it('rejects garbage as malformed', () => invalid('not-a-jwt', /malformed/));

  it('rejects an unsigned RS256 token and a payload that is not a JSON object as malformed', async () => {
    const before = iss.fetches;
    const [h, p] = (await iss.token({}, { kid: 'unknown-kid' })).split('.');
    await invalid(`${h}.${p}.`, /malformed/);
    expect(iss.fetches).toBe(before);
    const signed = await new CompactSign(new TextEncoder().encode('"a string"'))
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
      .sign(iss.key.privateKey);
    await invalid(signed, /malformed/);
  });

  it('rejects alg none and HS256 keyed with the public key without fetching', async () => {
    const before = iss.fetches;
    const claims = base64url.encode(JSON.stringify({ iss: iss.issuer, exp: 4e9 }));
    const none = `${base64url.encode('{"alg":"none","kid":"key-1"}')}.${claims}.`;
    await invalid(none, /algorithm/);
    const hs = await new SignJWT({ iss: iss.issuer, token_use: 'access' })
      .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
      .sign(new TextEncoder().encode(iss.key.publicPem));
    await invalid(hs, /algorithm/);
    expect(iss.fetches).toBe(before);
  });

  it('rejects a signature by another key under a known kid', async () => {
    const other = await makeKey('key-1');
    await invalid(await iss.token({}, { key: other }), /signature/);
  });

  it('rejects a tampered payload', async () => {
    const [h, , s] = (await iss.token()).split('.');
    const forged = base64url.encode(
      JSON.stringify({ iss: iss.issuer, token_use: 'access', client_id: 'x', sub: 'x', exp: 4e9 }),
    );
    await invalid(`${h}.${forged}.${s}`, /signature/);
  });

  it('rejects expired, not-yet-valid, wrong issuer and ID tokens, each with its reason', async () => {
    const now = Math.floor(Date.now() / 1000);
    await invalid(await iss.token({ exp: now - 60 }), /expired/);
    await invalid(await iss.token({ nbf: now + 600 }), /not yet valid/);
    await invalid(await iss.token({ iss: 'https://evil.example/pool' }), /issuer/);
    await invalid(
      await iss.token({ token_use: 'id', aud: 'weather-caller' }),
      /not an access token/,
    );
  });

  it('accepts a token within the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    await get('/read', `Bearer ${await iss.token({ exp: now - 2 })}`).expect(200);
  });

  it('ignores jku, x5u and jwk header parameters (never fetched, never trusted)', async () => {
    const evil = await makeKey('key-1');
    const jku = iss.host('/attacker/jwks.json', [evil]);
    const x5u = iss.host('/attacker/x5u', [evil]);
    const before = iss.fetches;
    const token = await iss.token({}, { key: evil, header: { jku, x5u, jwk: evil.jwk } });
    await invalid(token, /signature/);
    expect([iss.hits('/attacker/jwks.json'), iss.hits('/attacker/x5u')]).toEqual([0, 0]);
    expect(iss.fetches).toBe(before);
    // The hosted set really serves the attacker's key: the test could see a fetch.
    const served = (await (await fetch(jku)).json()) as { keys: { n: string }[] };
    expect(served.keys[0].n).toBe(evil.jwk.n);
  });

  it('refuses a crit header it does not understand, before any key lookup', async () => {
    const before = iss.fetches;
    const custom = await new SignJWT({ iss: iss.issuer, token_use: 'access', exp: 4e9 })
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1', crit: ['x-custom'], 'x-custom': 1 })
      .sign(iss.key.privateKey, { crit: { 'x-custom': true } });
    await invalid(custom, /crit/);
    // b64: false as the review sent it: the header says so, the payload is encoded anyway.
    const header = base64url.encode(
      JSON.stringify({ alg: 'RS256', kid: 'unknown-kid', crit: ['b64'], b64: false }),
    );
    const payload = (await iss.token()).split('.')[1];
    const signature = await crypto.subtle.sign(
      'RSASSA-PKCS1-v1_5',
      iss.key.privateKey,
      new TextEncoder().encode(`${header}.${payload}`),
    );
    const unencoded = `${header}.${payload}.${base64url.encode(new Uint8Array(signature))}`;
    await invalid(unencoded, /crit/);
    expect(iss.fetches).toBe(before);
  });

  it('refuses exp = 1e400 (Infinity) and a token issued in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = JSON.stringify({
      sub: 'weather-caller',
      client_id: 'weather-caller',
      token_use: 'access',
      scope: 'weather-api/forecast.read',
      iss: iss.issuer,
      iat: now,
      exp: 0,
    }).replace('"exp":0', '"exp":1e400');
    const infinite = await new CompactSign(new TextEncoder().encode(claims))
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
      .sign(iss.key.privateKey);
    await invalid(infinite, /exp claim is not a finite number/);
    await invalid(await iss.token({ iat: now + 3600, exp: now + 7200 }), /issued in the future/);
  });

  it('hands out a deeply frozen principal, so no request changes what the next one sees', async () => {
    const token = await iss.token({ 'cognito:groups': ['readers'] });
    for (let i = 0; i < 2; i++) {
      const res = await get('/mutate', `Bearer ${token}`).expect(200);
      expect(res.body).toEqual({
        claim: 'refused',
        nested: 'refused',
        scopes: 'refused',
        clientId: 'refused',
      });
    }
    const after = await get('/read', `Bearer ${token}`).expect(200);
    expect(after.body).toMatchObject({
      clientId: 'weather-caller',
      scopes: ['weather-api/forecast.read'],
      claims: { scope: 'weather-api/forecast.read', 'cognito:groups': ['readers'] },
    });
    await get('/write', `Bearer ${token}`).expect(403);
  });

  it('answers a missing scope with 403 insufficient_scope naming the required scopes', async () => {
    const res = await get('/write', `Bearer ${await iss.token()}`).expect(403);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="weather-api", error="insufficient_scope", error_description="the token lacks a required scope", scope="weather-api/forecast.read weather-api/forecast.write"',
    );
  });

  it('costs one key-set fetch for a flood of unknown kids within the penalty window', async () => {
    const before = iss.fetches;
    const tokens = await Promise.all(
      Array.from({ length: 50 }, (_, i) => iss.token({}, { kid: `random-${i}` })),
    );
    for (const t of tokens) await invalid(t, /signing key is unknown/);
    expect(iss.fetches - before).toBeLessThanOrEqual(1);
  });

  it('counts decisions and fetches on the app registry', async () => {
    const res = await get('/metrics').expect(200);
    expect(res.text).toMatch(/auth_decisions_total\{outcome="allowed",reason="ok"\} [1-9]/);
    expect(res.text).toMatch(/auth_decisions_total\{outcome="denied",reason="expired"\} 1/);
    expect(res.text).toMatch(/auth_jwks_fetches_total\{outcome="success"\} [1-9]/);
  });
});

describe('ResourceServerModule with an allow-list, rotation and outages', () => {
  it('refuses clients outside the allow-list', async () => {
    const iss = await TestIssuer.start();
    const app = await boot({ issuer: iss.issuer, clientIds: ['weather-admin'] });
    const res = await request(app.getHttpServer())
      .get('/any')
      .set('Authorization', `Bearer ${await iss.token()}`)
      .expect(401);
    expect(res.body.error_description).toMatch(/client is not allowed/);
    await request(app.getHttpServer())
      .get('/any')
      .set('Authorization', `Bearer ${await iss.token({ client_id: 'weather-admin' })}`)
      .expect(200);
    await app.close();
    await iss.close();
  });

  it('answers 503 with Retry-After while the key set is down, then recovers by itself', async () => {
    const iss = await TestIssuer.start();
    const app = await boot({ issuer: iss.issuer, jwksFailureCooldownMs: 0 });
    const token = await iss.token();
    iss.down = true;
    const res = await request(app.getHttpServer())
      .get('/read')
      .set('Authorization', `Bearer ${token}`)
      .expect(503);
    expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.body.error).toBe('temporarily_unavailable');
    iss.down = false;
    await request(app.getHttpServer())
      .get('/read')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    await app.close();
    await iss.close();
  });

  it('accepts tokens of a rotated-in key at once (default penalty window), and old ones while published', async () => {
    const iss = await TestIssuer.start();
    const app = await boot({ issuer: iss.issuer });
    const oldToken = await iss.token();
    const server = app.getHttpServer();
    await request(server).get('/read').set('Authorization', `Bearer ${oldToken}`).expect(200);
    const next = await makeKey('key-2');
    iss.published = [iss.key, next];
    const newToken = await iss.token({}, { key: next });
    await request(server).get('/read').set('Authorization', `Bearer ${newToken}`).expect(200);
    await request(server).get('/read').set('Authorization', `Bearer ${oldToken}`).expect(200);
    await app.close();
    await iss.close();
  });

  it.each([
    [{ region: 'eu-west-1' }, /userPoolId is missing/],
    [{ issuer: 'not a url' }, /issuer "not a url" is not a URL/],
    [{ region: 'moon', userPoolId: 'x' }, /region/],
    [{ issuer: 'https://idp.example/pool', jwksMaxStaleMs: -1 }, /jwksMaxStaleMs/],
  ] as [ResourceServerModuleOptions, RegExp][])(
    'fails fast on bad options (%o) with ResourceServerConfigError invalid_options',
    async (options, message) => {
      const failure = await Test.createTestingModule({
        imports: [ResourceServerModule.forRoot(options)],
      })
        .compile()
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(failure).toBeInstanceOf(ResourceServerConfigError);
      expect(failure).toMatchObject({ code: 'invalid_options' });
      expect((failure as Error).message).toMatch(message);
    },
  );
});

describe('ResourceServerModule route policy', () => {
  // What `nest g resource items` generates: no policy anywhere.
  @Controller('items')
  class ItemsController {
    @Get()
    findAll() {
      return [];
    }
    @Get(':id')
    findOne() {
      return {};
    }
  }

  @Public()
  @Controller('mixed')
  class MixedController {
    @Get('open')
    open() {
      return { ok: true };
    }
    @Scopes('weather-api/forecast.write')
    @Get('closed')
    closed() {
      return { ok: true };
    }
  }

  const start = async (controllers: (new () => object)[], options = {}) => {
    const ref = await Test.createTestingModule({
      imports: [ResourceServerModule.forRoot({ issuer: 'https://idp.example/pool', ...options })],
      controllers,
    }).compile();
    const app = ref.createNestApplication({ logger: false });
    const failure = await app.init().then(
      () => undefined,
      (err: unknown) => err,
    );
    return { app, failure };
  };

  it('refuses to start with routes that declare no policy, naming each', async () => {
    const { app, failure } = await start([ItemsController, DemoController]);
    expect(failure).toBeInstanceOf(RoutePolicyError);
    expect(failure).toMatchObject({
      code: 'missing_route_policy',
      routes: ['GET /items (ItemsController.findAll)', 'GET /items/:id (ItemsController.findOne)'],
    });
    expect((failure as Error).message).toMatch(
      /^2 route\(s\) declare no access policy; give each @Scopes\(\.\.\.\), @AnyValidToken\(\) or @Public\(\)/,
    );
    await app.close();
  });

  it("with routePolicy 'warn', starts and lets them accept any valid token", async () => {
    const iss = await TestIssuer.start();
    const { app, failure } = await start([ItemsController], {
      issuer: iss.issuer,
      routePolicy: 'warn',
    });
    expect(failure).toBeUndefined();
    await request(app.getHttpServer()).get('/items').expect(401);
    await request(app.getHttpServer())
      .get('/items')
      .set('Authorization', `Bearer ${await iss.token({ scope: '' })}`)
      .expect(200);
    await app.close();
    await iss.close();
  });

  it("lets a handler's @Scopes close a route of a @Public controller", async () => {
    const iss = await TestIssuer.start();
    const { app, failure } = await start([MixedController], { issuer: iss.issuer });
    expect(failure).toBeUndefined();
    const server = app.getHttpServer();
    await request(server).get('/mixed/open').expect(200);
    await request(server).get('/mixed/closed').expect(401);
    await request(server)
      .get('/mixed/closed')
      .set('Authorization', `Bearer ${await iss.token()}`)
      .expect(403);
    await app.close();
    await iss.close();
  });
});

describe('ResourceServerModule denial logs', () => {
  it('name the client only when the token signature verified, and never hold the token', async () => {
    const iss = await TestIssuer.start();
    const lines: unknown[] = [];
    const ignore = () => undefined;
    const capture = {
      log: (message: unknown) => void lines.push(message),
      error: ignore,
      warn: ignore,
      debug: ignore,
      verbose: ignore,
    };
    const ref = await Test.createTestingModule({
      imports: [ResourceServerModule.forRoot({ issuer: iss.issuer, realm: 'weather-api' })],
      controllers: [DemoController],
    }).compile();
    const app = ref.createNestApplication({ logger: capture });
    await app.init();
    const server = app.getHttpServer();
    const now = Math.floor(Date.now() / 1000);
    const expired = await iss.token({ exp: now - 60 });
    // Signed by another key under the issuer's kid, claiming another client.
    const forged = await iss.token({ client_id: 'weather-admin' }, { key: await makeKey('key-1') });
    const reader = await iss.token();
    await request(server).get('/read').set('Authorization', `Bearer ${expired}`).expect(401);
    await request(server).get('/read').set('Authorization', `Bearer ${forged}`).expect(401);
    await request(server).get('/write').set('Authorization', `Bearer ${reader}`).expect(403);
    await request(server).get('/read').expect(401);
    await app.close();
    await iss.close();

    const denials = lines.filter((line): line is Record<string, unknown> =>
      String((line as { msg?: unknown } | null)?.msg).startsWith('auth denied'),
    );
    expect(denials.map((line) => [line.reason, line.client_id])).toEqual([
      ['expired', 'weather-caller'],
      ['bad_signature', '-'],
      ['insufficient_scope', 'weather-caller'],
      ['no_token', '-'],
    ]);
    for (const token of [expired, forged, reader]) {
      expect(JSON.stringify(lines)).not.toContain(token.split('.')[1]);
    }
  });
});

describe('ResourceServerModule with several issuers', () => {
  let a: TestIssuer;
  let b: TestIssuer;
  beforeAll(async () => {
    [a, b] = await Promise.all([TestIssuer.start('pool_a'), TestIssuer.start('pool_b')]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  const readiness = (app: INestApplication) =>
    app.get<ResourceServerReadiness>(RESOURCE_SERVER_READINESS).readiness();

  it("checks each token against the key set of its own issuer, and fetches none for another's", async () => {
    const app = await boot({ issuer: [a.issuer, b.issuer] });
    const get = (token: string) =>
      request(app.getHttpServer()).get('/read').set('Authorization', `Bearer ${token}`);
    await get(await a.token()).expect(200);
    await get(await b.token()).expect(200);
    expect([a.fetches, b.fetches]).toEqual([1, 1]);
    // Both sign as kid key-1: a token claiming b, signed with a's key, meets b's key.
    const crossed = await get(await a.token({ iss: b.issuer })).expect(401);
    expect(crossed.body.error_description).toMatch(/signature/);
    // An issuer not trusted: refused before any key lookup, whatever its kid.
    const before = [a.fetches, b.fetches];
    for (const iss of ['https://evil.example/pool_a', `${a.issuer}/`, a.issuer.toUpperCase()]) {
      const res = await get(await a.token({ iss }, { kid: 'never-seen' })).expect(401);
      expect(res.body.error_description).toMatch(/issuer is not trusted/);
    }
    expect([a.fetches, b.fetches]).toEqual(before);
    expect(await readiness(app)).toEqual({
      up: true,
      keySets: { [a.jwksUri]: 'up', [b.jwksUri]: 'up' },
    });
    await app.close();
  });

  it('with jwksUri, takes every issuer key from that one key set', async () => {
    const other = 'https://idp.example/moved_pool';
    const app = await boot({ issuer: [a.issuer, other], jwksUri: a.jwksUri });
    const before = b.fetches;
    for (const iss of [a.issuer, other]) {
      await request(app.getHttpServer())
        .get('/read')
        .set('Authorization', `Bearer ${await a.token({ iss })}`)
        .expect(200);
    }
    expect(b.fetches).toBe(before);
    expect((await readiness(app)).keySets).toEqual({ [a.jwksUri]: 'up' });
    // One key set too: an issuer that is not trusted, with a kid it lacks, fetches nothing.
    const fetched = a.fetches;
    for (const iss of ['https://evil.example/pool_a', b.issuer]) {
      const res = await request(app.getHttpServer())
        .get('/read')
        .set('Authorization', `Bearer ${await a.token({ iss }, { kid: 'never-seen' })}`)
        .expect(401);
      expect(res.body.error_description).toMatch(/issuer is not trusted/);
    }
    expect(a.fetches).toBe(fetched);
    await app.close();
  });

  it('stays ready while a key set that never loaded (an issuer form not in use) is unreachable', async () => {
    const unused = 'http://127.0.0.1:9/never_there';
    // No penalty window: every probe fetches the key sets it checks.
    const app = await boot({ issuer: [a.issuer, unused], jwksPenaltyWindowMs: 0 });
    expect(await readiness(app)).toEqual({
      up: true,
      keySets: { [a.jwksUri]: 'up', [`${unused}/.well-known/jwks.json`]: 'unreachable' },
    });
    // Not probed again once another set serves keys; a key set in use that fails is down.
    expect((await readiness(app)).keySets[`${unused}/.well-known/jwks.json`]).toBe('not in use');
    a.down = true;
    expect(await readiness(app)).toMatchObject({
      up: false,
      keySets: { [a.jwksUri]: 'unreachable' },
    });
    a.down = false;
    await app.close();
  });
});

describe('ResourceServerModule for a Cognito pool (region + userPoolId)', () => {
  const pool = { region: 'eu-west-1', userPoolId: 'eu-west-1_AbC123' };

  it('trusts both issuer forms of the pool, each with its own key-set URL', () => {
    expect(resolveResourceServerOptions(pool)).toMatchObject({
      issuers: [
        'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
        'https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
      ],
      keySets: [
        {
          jwksUri:
            'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json',
          issuers: ['https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123'],
        },
        {
          jwksUri:
            'https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json',
          issuers: ['https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123'],
        },
      ],
    });
    expect(resolveResourceServerOptions({ ...pool, issuerTypes: ['UPDATED'] }).issuers).toEqual([
      'https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
    ]);
    expect(() => resolveResourceServerOptions({ ...pool, issuerTypes: [] })).toThrow(
      /issuerTypes is empty/,
    );
  });

  it("accepts the pool's tokens under either form and refuses another pool, region or host", async () => {
    // Key sets at AWS are not reachable from a test: the pool's keys come from one local set.
    const iss = await TestIssuer.start('eu-west-1_AbC123');
    const app = await boot({ ...pool, jwksUri: iss.jwksUri });
    const get = async (claimed: string) =>
      request(app.getHttpServer())
        .get('/read')
        .set('Authorization', `Bearer ${await iss.token({ iss: claimed })}`);
    for (const type of ['ORIGINAL', 'UPDATED'] as const) {
      const res = await get(cognitoIssuer(pool.region, pool.userPoolId, type));
      expect(res.status).toBe(200);
    }
    for (const claimed of [
      cognitoIssuer(pool.region, 'eu-west-1_Other99', 'UPDATED'),
      cognitoIssuer('us-east-1', pool.userPoolId, 'ORIGINAL'),
      'https://cognito-idp.eu-west-1.amazonaws.com.evil.example/eu-west-1_AbC123',
      'https://issuer.cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
      'http://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
    ]) {
      const res = await get(claimed);
      expect(res.status).toBe(401);
      expect(res.body.error_description).toMatch(/issuer is not trusted/);
    }
    await app.close();
    await iss.close();
  });
});
