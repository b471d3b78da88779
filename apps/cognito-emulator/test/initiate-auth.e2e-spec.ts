import { createHmac } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import request from 'supertest';
import { startEmulator, type StartedEmulator } from '../src/bootstrap.js';
import { DEMO_POOL, writePool } from './helpers.js';

const TARGET = 'AWSCognitoIdentityProviderService.InitiateAuth';
const AMZ = 'application/x-amz-json-1.1';

describe('POST / InitiateAuth (USER_PASSWORD_AUTH)', () => {
  let emu: StartedEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ PORT: '0', COGNITO_EMULATOR_POOL_FILE: DEMO_POOL });
  });
  afterAll(() => emu.close());

  const call = (body: unknown, target = TARGET) =>
    request(emu.url)
      .post('/')
      .set('X-Amz-Target', target)
      .set('Content-Type', AMZ)
      .send(JSON.stringify(body));
  const auth = (params: Record<string, string>, clientId = 'weather-web') =>
    call({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: params });

  it('returns an access token and an ID token, both verifiable with the JWKS', async () => {
    const res = await auth({ USERNAME: 'alice', PASSWORD: 'Alice-dev-password-1' }).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-amz-json-1\.1/);
    const body = JSON.parse(res.text);
    const result = body.AuthenticationResult;
    expect(result).toMatchObject({ ExpiresIn: 3600, TokenType: 'Bearer' });
    const jwks = createRemoteJWKSet(new URL(`${emu.issuer}/.well-known/jwks.json`));
    const access = (await jwtVerify(result.AccessToken, jwks, { issuer: emu.issuer })).payload;
    const id = (
      await jwtVerify(result.IdToken, jwks, { issuer: emu.issuer, audience: 'weather-web' })
    ).payload;
    expect(access).toMatchObject({
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      username: 'alice',
      client_id: 'weather-web',
    });
    expect(access.aud).toBeUndefined();
    expect(access.exp! - access.iat!).toBe(3600);
    expect(id).toMatchObject({
      token_use: 'id',
      aud: 'weather-web',
      email: 'alice@example.com',
      'cognito:username': 'alice',
      sub: access.sub,
    });
  });

  it('gives the same answer for a wrong password and an unknown user', async () => {
    const wrong = await auth({ USERNAME: 'alice', PASSWORD: 'nope' }).expect(400);
    const unknown = await auth({ USERNAME: 'mallory', PASSWORD: 'nope' }).expect(400);
    expect(JSON.parse(wrong.text)).toEqual({
      __type: 'NotAuthorizedException',
      message: 'Incorrect username or password.',
    });
    expect(JSON.parse(unknown.text)).toEqual(JSON.parse(wrong.text));
  });

  it.each([
    [
      'an unknown client',
      () => auth({ USERNAME: 'alice', PASSWORD: 'x' }, 'nobody'),
      'ResourceNotFoundException',
    ],
    [
      'a client without the flow',
      () => auth({ USERNAME: 'alice', PASSWORD: 'x' }, 'weather-caller'),
      'InvalidParameterException',
    ],
    [
      'another flow',
      () => call({ AuthFlow: 'USER_SRP_AUTH', ClientId: 'weather-web', AuthParameters: {} }),
      'InvalidParameterException',
    ],
    [
      'an unknown flow',
      () => call({ AuthFlow: 'MAGIC', ClientId: 'weather-web' }),
      'InvalidParameterException',
    ],
    ['a missing password', () => auth({ USERNAME: 'alice' }), 'InvalidParameterException'],
    [
      'a missing ClientId',
      () => call({ AuthFlow: 'USER_PASSWORD_AUTH' }),
      'InvalidParameterException',
    ],
    [
      'an unknown operation',
      () => call({}, 'AWSCognitoIdentityProviderService.SignUp'),
      'UnknownOperationException',
    ],
    [
      'no target',
      () => request(emu.url).post('/').set('Content-Type', AMZ).send('{}'),
      'UnknownOperationException',
    ],
    [
      'malformed JSON',
      () =>
        request(emu.url)
          .post('/')
          .set('X-Amz-Target', TARGET)
          .set('Content-Type', AMZ)
          .send('{"AuthFlow":'),
      'SerializationException',
    ],
    [
      'a form body',
      () => request(emu.url).post('/').set('X-Amz-Target', TARGET).type('form').send('a=b'),
      'SerializationException',
    ],
    ['a JSON array', () => call([1]), 'SerializationException'],
  ] as const)('answers %s with 400', async (_name, send, type) => {
    const res = await send().expect(400);
    expect(JSON.parse(res.text).__type).toBe(type);
  });

  it('answers GET / with 405 and Allow: POST', async () => {
    const res = await request(emu.url).get('/').expect(405);
    expect(res.headers['allow']).toBe('POST');
  });
});

describe('InitiateAuth for a client with a secret', () => {
  /** alice's USER_PASSWORD_AUTH through weather-caller, with `params` added. */
  const signIn = (emu: StartedEmulator, params: Record<string, string>) =>
    request(emu.url)
      .post('/')
      .set('X-Amz-Target', TARGET)
      .set('Content-Type', AMZ)
      .send(
        JSON.stringify({
          AuthFlow: 'USER_PASSWORD_AUTH',
          ClientId: 'weather-caller',
          AuthParameters: { USERNAME: 'alice', PASSWORD: 'Alice-dev-password-1', ...params },
        }),
      );
  const secretHash = (secret: string) =>
    createHmac('sha256', secret).update('aliceweather-caller').digest('base64');

  it('requires the SECRET_HASH Cognito defines', async () => {
    const pool = await writePool((p) => {
      p.clients[0].explicitAuthFlows = ['ALLOW_USER_PASSWORD_AUTH'];
    });
    const emu = await startEmulator({ PORT: '0', COGNITO_EMULATOR_POOL_FILE: pool });
    try {
      const missing = await signIn(emu, {}).expect(400);
      expect(JSON.parse(missing.text).__type).toBe('NotAuthorizedException');
      await signIn(emu, { SECRET_HASH: secretHash('weather-caller-dev-secret') }).expect(200);
    } finally {
      await emu.close();
    }
  });

  it('takes a SECRET_HASH made with either of two active secrets, and no other', async () => {
    const pool = await writePool((p) => {
      p.clients[0].explicitAuthFlows = ['ALLOW_USER_PASSWORD_AUTH'];
      p.clients[0].clientSecret = ['weather-caller-dev-secret', 'weather-caller-next-secret'];
    });
    const emu = await startEmulator({ PORT: '0', COGNITO_EMULATOR_POOL_FILE: pool });
    try {
      const send = (secret: string) => signIn(emu, { SECRET_HASH: secretHash(secret) });
      await send('weather-caller-dev-secret').expect(200);
      await send('weather-caller-next-secret').expect(200);
      const other = await send('weather-caller-other-secret').expect(400);
      expect(JSON.parse(other.text).__type).toBe('NotAuthorizedException');
    } finally {
      await emu.close();
    }
  });
});
