import { readFile } from 'node:fs/promises';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import request from 'supertest';
import { startEmulator, type StartedEmulator } from '../src/bootstrap.js';
import {
  ADMIN,
  basic,
  CALLER,
  CLIENT_CREDENTIALS_CLAIMS,
  decode,
  DEMO_POOL,
  FORM,
  READ,
  WRITE,
  writePool,
} from './helpers.js';

const REAL_ISSUER = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE';
const REAL_DOMAIN = 'https://mydomain.auth.us-east-1.amazoncognito.com';

describe('POST /oauth2/token (client credentials)', () => {
  let emu: StartedEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ PORT: '0', COGNITO_EMULATOR_POOL_FILE: DEMO_POOL });
  });
  afterAll(() => emu.close());

  const post = () => request(emu.url).post('/oauth2/token').type('form');

  it('issues a token with client_secret_basic, not cacheable', async () => {
    const res = await post()
      .set('Authorization', basic(CALLER.id, CALLER.secret))
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['pragma']).toBe('no-cache');
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(res.body).toMatchObject({ expires_in: 3600, token_type: 'Bearer' });
  });

  it('issues a token with client_secret_post carrying exactly the Cognito claims', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await post()
      .send({ grant_type: 'client_credentials', client_id: ADMIN.id, client_secret: ADMIN.secret })
      .expect(200);
    const { header, claims } = decode(res.body.access_token);
    expect(header).toEqual({ kid: expect.any(String), alg: 'RS256' });
    expect(Object.keys(claims).sort()).toEqual(CLIENT_CREDENTIALS_CLAIMS);
    expect(claims).toMatchObject({
      sub: ADMIN.id,
      client_id: ADMIN.id,
      token_use: 'access',
      iss: emu.issuer,
      version: 2,
    });
    expect(claims.aud).toBeUndefined();
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(claims.auth_time).toBe(claims.iat);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    // omitted scope: every scope the client is allowed
    expect((claims.scope as string).split(' ')).toEqual([READ, WRITE]);
  });

  it('narrows to the requested scopes', async () => {
    const res = await post()
      .set('Authorization', basic(ADMIN.id, ADMIN.secret))
      .send({ grant_type: 'client_credentials', scope: WRITE })
      .expect(200);
    expect(decode(res.body.access_token).claims.scope).toBe(WRITE);
  });

  it('issues tokens jose verifies against the published JWKS', async () => {
    const res = await post()
      .set('Authorization', basic(CALLER.id, CALLER.secret))
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    const jwks = createRemoteJWKSet(new URL(`${emu.issuer}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(res.body.access_token, jwks, {
      issuer: emu.issuer,
      algorithms: ['RS256'],
    });
    expect(payload.client_id).toBe(CALLER.id);
    expect(protectedHeader.alg).toBe('RS256');
  });

  it('serves discovery with exactly the fields and values of a real pool', async () => {
    const res = await request(emu.url)
      .get('/us-east-1_Weather01/.well-known/openid-configuration')
      .expect(200);
    // A real pool's document as it publishes it today (AWS's guide lists the endpoint but
    // prints no example; pools older than the revocation and logout entries lack those two),
    // with placeholders for its domain and id, put on the emulator's base: the issuer and key
    // set on the issuer, the OAuth endpoints on the pool's domain.
    const real = JSON.parse(
      await readFile(
        new URL('./fixtures/cognito-openid-configuration.json', import.meta.url),
        'utf8',
      ),
    ) as Record<string, unknown>;
    const onEmulator = (value: unknown): unknown =>
      typeof value === 'string'
        ? value.replace(REAL_ISSUER, emu.issuer).replace(REAL_DOMAIN, emu.url)
        : value;
    expect(Object.keys(res.body).sort()).toEqual(Object.keys(real).sort());
    for (const [field, value] of Object.entries(real)) {
      expect({ field, value: res.body[field] }).toEqual({ field, value: onEmulator(value) });
    }
    expect(emu.issuer).toBe(`${emu.url}/us-east-1_Weather01`);
    expect(emu.tokenUrl).toBe(`${emu.url}/oauth2/token`);
    // The managed-login endpoints it advertises say what is not emulated.
    for (const url of [res.body.authorization_endpoint, res.body.end_session_endpoint]) {
      const answer = await fetch(`${url as string}?client_id=weather-web`);
      expect(answer.status).toBe(404);
      expect(await answer.text()).toContain('the emulator does not emulate');
    }
  });

  describe('errors: 400 OAuth JSON, never cached', () => {
    const cases: [string, () => request.Test, string][] = [
      [
        'wrong content type (JSON)',
        () => request(emu.url).post('/oauth2/token').send({ grant_type: 'client_credentials' }),
        'invalid_request',
      ],
      ['no content type', () => request(emu.url).post('/oauth2/token'), 'invalid_request'],
      [
        'a non-UTF-8 charset',
        () =>
          request(emu.url)
            .post('/oauth2/token')
            .set('Content-Type', `${FORM}; charset=iso-8859-1`)
            .send('grant_type=client_credentials'),
        'invalid_request',
      ],
      [
        'a duplicated parameter',
        () =>
          post()
            .set('Authorization', basic(CALLER.id, CALLER.secret))
            .send('grant_type=client_credentials&grant_type=client_credentials'),
        'invalid_request',
      ],
      [
        'a duplicated client_id',
        () =>
          post().send(
            `grant_type=client_credentials&client_id=${CALLER.id}&client_id=${CALLER.id}&client_secret=${CALLER.secret}`,
          ),
        'invalid_request',
      ],
      [
        'a Basic header that is not base64',
        () =>
          post()
            .set('Authorization', 'Basic !!!notbase64')
            .send({ grant_type: 'client_credentials' }),
        'invalid_request',
      ],
      [
        'a Basic header without a colon',
        () =>
          post()
            .set('Authorization', `Basic ${Buffer.from('weather-caller').toString('base64')}`)
            .send({ grant_type: 'client_credentials' }),
        'invalid_request',
      ],
      [
        'a Bearer header',
        () => post().set('Authorization', 'Bearer abc').send({ grant_type: 'client_credentials' }),
        'invalid_request',
      ],
      [
        'both auth styles',
        () =>
          post()
            .set('Authorization', basic(CALLER.id, CALLER.secret))
            .send({ grant_type: 'client_credentials', client_secret: CALLER.secret }),
        'invalid_request',
      ],
      [
        'Basic and a different body client_id',
        () =>
          post()
            .set('Authorization', basic(CALLER.id, CALLER.secret))
            .send({ grant_type: 'client_credentials', client_id: ADMIN.id }),
        'invalid_request',
      ],
      [
        'no grant_type',
        () => post().set('Authorization', basic(CALLER.id, CALLER.secret)).send({ scope: READ }),
        'invalid_request',
      ],
      [
        'no client authentication',
        () => post().send({ grant_type: 'client_credentials' }),
        'invalid_client',
      ],
      [
        'an unknown client (basic)',
        () =>
          post()
            .set('Authorization', basic('nobody', 'x'))
            .send({ grant_type: 'client_credentials' }),
        'invalid_client',
      ],
      [
        'an unknown client (post)',
        () =>
          post().send({
            grant_type: 'client_credentials',
            client_id: 'nobody',
            client_secret: 'x',
          }),
        'invalid_client',
      ],
      [
        'a wrong secret (basic)',
        () =>
          post()
            .set('Authorization', basic(CALLER.id, `${CALLER.secret}x`))
            .send({ grant_type: 'client_credentials' }),
        'invalid_client',
      ],
      [
        'a wrong secret (post)',
        () =>
          post().send({
            grant_type: 'client_credentials',
            client_id: CALLER.id,
            client_secret: 'short',
          }),
        'invalid_client',
      ],
      [
        'a missing secret for a confidential client',
        () => post().send({ grant_type: 'client_credentials', client_id: CALLER.id }),
        'invalid_client',
      ],
      [
        'a public client asking for client credentials',
        () => post().send({ grant_type: 'client_credentials', client_id: 'weather-web' }),
        'unauthorized_client',
      ],
      [
        'a public client presenting a secret',
        () =>
          post().send({
            grant_type: 'client_credentials',
            client_id: 'weather-web',
            client_secret: 'guess',
          }),
        'invalid_client',
      ],
      [
        'an unsupported grant',
        () =>
          post()
            .set('Authorization', basic(CALLER.id, CALLER.secret))
            .send({ grant_type: 'password' }),
        'unsupported_grant_type',
      ],
      [
        'a scope the client is not allowed',
        () =>
          post()
            .set('Authorization', basic(CALLER.id, CALLER.secret))
            .send({ grant_type: 'client_credentials', scope: `${READ} ${WRITE}` }),
        'invalid_scope',
      ],
      [
        'a scope nobody declares',
        () =>
          post()
            .set('Authorization', basic(ADMIN.id, ADMIN.secret))
            .send({ grant_type: 'client_credentials', scope: 'weather-api/forecast.delete' }),
        'invalid_scope',
      ],
    ];
    it.each(cases.map(([name, send, error]) => [`${name} → ${error}`, send, error] as const))(
      '%s',
      async (_name, send, error) => {
        const res = await send().expect(400);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.body.error).toBe(error);
        expect(typeof res.body.error_description).toBe('string');
      },
    );
  });

  it('answers 413 with an OAuth JSON body to a body over 16 KiB', async () => {
    const res = await post()
      .set('Authorization', basic(CALLER.id, CALLER.secret))
      .send(`grant_type=client_credentials&pad=${'a'.repeat(16 * 1024)}`)
      .expect(413);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
  });

  it('still takes a body just under 16 KiB', async () => {
    const prefix = 'grant_type=client_credentials&pad=';
    await post()
      .set('Authorization', basic(CALLER.id, CALLER.secret))
      .send(`${prefix}${'a'.repeat(16 * 1024 - prefix.length)}`)
      .expect(200);
  });

  it.each(['get', 'put', 'delete'] as const)(
    'answers %s with 405 and Allow: POST',
    async (method) => {
      const res = await request(emu.url)[method]('/oauth2/token').expect(405);
      expect(res.headers['allow']).toBe('POST');
      expect(res.body.error).toBe('invalid_request');
    },
  );

  it('answers wrong methods and unknown pools on the well-known documents with JSON', async () => {
    const post405 = await request(emu.url)
      .post('/us-east-1_Weather01/.well-known/jwks.json')
      .expect(405);
    expect(post405.headers['allow']).toBe('GET, HEAD');
    const missing = await request(emu.url).get('/other_pool/.well-known/jwks.json').expect(404);
    expect(missing.body).toMatchObject({ statusCode: 404 });
    await request(emu.url).get('/nothing/here').expect(404).expect('Content-Type', /json/);
  });

  it('has no admin endpoint unless COGNITO_EMULATOR_ADMIN=true', async () => {
    await request(emu.url).post('/_emulator/rotate-keys').expect(404);
  });
});

describe('token endpoint metrics and per-client validity', () => {
  it('counts requests by known client, grant type and outcome; exp - iat follows the client', async () => {
    const pool = await writePool((p) => {
      p.clients[0].accessTokenValidity = 15; // minutes, the demo pool's unit
    });
    const emu = await startEmulator({ PORT: '0', COGNITO_EMULATOR_POOL_FILE: pool });
    try {
      const post = () => request(emu.url).post('/oauth2/token').type('form');
      const ok = await post()
        .set('Authorization', basic(CALLER.id, CALLER.secret))
        .send({ grant_type: 'client_credentials' })
        .expect(200);
      const { claims } = decode(ok.body.access_token);
      expect(claims.exp! - claims.iat!).toBe(900);
      expect(ok.body.expires_in).toBe(900);
      await post()
        .set('Authorization', basic(CALLER.id, CALLER.secret))
        .send({ grant_type: 'client_credentials' })
        .expect(200);
      await post()
        .send({ grant_type: 'client_credentials', client_id: CALLER.id, client_secret: 'wrong' })
        .expect(400);
      await post()
        .send({
          grant_type: 'client_credentials',
          client_id: 'secret-looking-id',
          client_secret: 'x',
        })
        .expect(400);
      await post()
        .set('Authorization', basic(CALLER.id, CALLER.secret))
        .send({ grant_type: 'magic' });
      await request(emu.url).get('/us-east-1_Weather01/.well-known/jwks.json').expect(200);
      await request(emu.url).get('/us-east-1_Weather01/.well-known/jwks.json').expect(200);
      await request(emu.url).get('/us-east-1_Weather01/.well-known/jwks.json').expect(200);

      const { text } = await request(emu.url).get('/metrics').expect(200);
      const line = (labels: string) =>
        new RegExp(`^cognito_emulator_token_requests_total\\{${labels}[^}]*\\} (\\d+)$`, 'm').exec(
          text,
        )?.[1];
      expect(
        line('client_id="weather-caller",grant_type="client_credentials",outcome="success"'),
      ).toBe('2');
      expect(
        line('client_id="weather-caller",grant_type="client_credentials",outcome="invalid_client"'),
      ).toBe('1');
      expect(
        line('client_id="unknown",grant_type="client_credentials",outcome="invalid_client"'),
      ).toBe('1');
      expect(
        line('client_id="weather-caller",grant_type="other",outcome="unsupported_grant_type"'),
      ).toBe('1');
      expect(text).toMatch(/^cognito_emulator_jwks_requests_total\{[^}]*\} 3$/m);
      expect(text).not.toContain('secret-looking-id');
      expect(text).not.toContain('wrong');
    } finally {
      await emu.close();
    }
  });
});

describe('start-up validation', () => {
  it('refuses a bad pool file, naming the field', async () => {
    const pool = await writePool((p) => {
      p.clients[1].accessTokenValidity = 4; // minutes
    });
    await expect(startEmulator({ PORT: '0', COGNITO_EMULATOR_POOL_FILE: pool })).rejects.toThrow(
      'clients[1].accessTokenValidity: must be between 5 minutes and 1 day',
    );
  });

  it('refuses a bad variable, naming it', async () => {
    await expect(startEmulator({ PORT: 'eighty' })).rejects.toThrow(/PORT: /);
  });

  it('puts COGNITO_EMULATOR_ISSUER_BASE in front of the pool id', async () => {
    const emu = await startEmulator({
      PORT: '0',
      COGNITO_EMULATOR_POOL_FILE: DEMO_POOL,
      COGNITO_EMULATOR_ISSUER_BASE: 'http://cognito:4000/',
    });
    try {
      expect(emu.issuer).toBe('http://cognito:4000/us-east-1_Weather01');
      const res = await request(emu.url)
        .post('/oauth2/token')
        .type('form')
        .set('Authorization', basic(CALLER.id, CALLER.secret))
        .send({ grant_type: 'client_credentials' })
        .expect(200);
      expect(decode(res.body.access_token).claims.iss).toBe(
        'http://cognito:4000/us-east-1_Weather01',
      );
    } finally {
      await emu.close();
    }
  });
});
