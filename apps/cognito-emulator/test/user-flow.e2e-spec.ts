import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startEmulator, type StartedEmulator } from '../src/bootstrap.js';
import { basic, FORM, writePool } from './helpers.js';

/** An InitiateAuth answer: a result, or an error's `__type` and `message`. */
interface IdpAnswer {
  AuthenticationResult: {
    AccessToken: string;
    IdToken: string;
    RefreshToken?: string;
    ExpiresIn: number;
  };
  __type?: string;
  message?: string;
}

const TARGET = 'AWSCognitoIdentityProviderService.InitiateAuth';
const ALICE = { USERNAME: 'alice', PASSWORD: 'Alice-dev-password-1' };

async function initiateAuth(emu: StartedEmulator, body: Record<string, unknown>) {
  const res = await fetch(`${emu.url}/`, {
    method: 'POST',
    headers: { 'X-Amz-Target': TARGET, 'Content-Type': 'application/x-amz-json-1.1' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as IdpAnswer };
}

const password = (emu: StartedEmulator, params: Record<string, string>, clientId = 'weather-web') =>
  initiateAuth(emu, { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: params });

const refresh = (emu: StartedEmulator, token: string) =>
  initiateAuth(emu, {
    AuthFlow: 'REFRESH_TOKEN_AUTH',
    ClientId: 'weather-web',
    AuthParameters: { REFRESH_TOKEN: token },
  });

function revoke(emu: StartedEmulator, form: Record<string, string>, authorization?: string) {
  return fetch(`${emu.url}/oauth2/revoke`, {
    method: 'POST',
    headers: { 'Content-Type': FORM, ...(authorization && { Authorization: authorization }) },
    body: new URLSearchParams(form),
  });
}

const userInfo = (emu: StartedEmulator, token: string) =>
  fetch(`${emu.url}/oauth2/userInfo`, { headers: { Authorization: `Bearer ${token}` } });

describe('the user flow: sign-in, refresh, userInfo, revoke', () => {
  let emu: StartedEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ PORT: '0', LOG_LEVEL: 'warn' });
  });
  afterAll(() => emu.close());

  it('InitiateAuth → RefreshToken → REFRESH_TOKEN_AUTH → revoke → refresh refused', async () => {
    const signIn = await password(emu, ALICE);
    expect(signIn.status).toBe(200);
    const { AccessToken, IdToken } = signIn.body.AuthenticationResult;
    const RefreshToken = signIn.body.AuthenticationResult.RefreshToken!;
    expect(RefreshToken).toEqual(expect.any(String));

    // Access and ID tokens are signed with different keys, both in the JWKS.
    const jwks = createRemoteJWKSet(new URL(`${emu.issuer}/.well-known/jwks.json`));
    expect(decodeProtectedHeader(AccessToken).kid).not.toBe(decodeProtectedHeader(IdToken).kid);
    await jwtVerify(AccessToken, jwks, { issuer: emu.issuer });
    await jwtVerify(IdToken, jwks, { issuer: emu.issuer, audience: 'weather-web' });

    // As Cognito, userInfo takes only access tokens with the openid scope, which
    // InitiateAuth's never carry.
    const info = await userInfo(emu, AccessToken);
    expect(info.status).toBe(401);
    expect(await info.json()).toEqual({
      error: 'invalid_token',
      error_description: 'Access token does not contain openid scope',
    });

    const refreshed = await refresh(emu, RefreshToken);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.AuthenticationResult).toMatchObject({
      AccessToken: expect.any(String),
      IdToken: expect.any(String),
      ExpiresIn: 3600,
    });
    expect(refreshed.body.AuthenticationResult.RefreshToken).toBeUndefined();
    const refreshedAccess = refreshed.body.AuthenticationResult.AccessToken;

    // Access and ID tokens cannot be revoked; the refresh token can (public client: its id).
    const wrongType = await revoke(emu, { token: AccessToken, client_id: 'weather-web' });
    expect(wrongType.status).toBe(400);
    expect(await wrongType.json()).toMatchObject({ error: 'unsupported_token_type' });
    const revoked = await revoke(emu, { token: RefreshToken, client_id: 'weather-web' });
    expect(revoked.status).toBe(200);

    expect(await refresh(emu, RefreshToken)).toEqual({
      status: 400,
      body: { __type: 'NotAuthorizedException', message: 'Refresh Token has been revoked' },
    });
    // The access tokens of that sign-in, refreshed ones included, are revoked with it.
    for (const token of [AccessToken, refreshedAccess]) {
      const res = await userInfo(emu, token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      expect(((await res.json()) as { error_description: string }).error_description).toBe(
        'Access token is expired, disabled, or deleted, or the user has globally signed out.',
      );
    }
  });

  it('refuses unknown refresh tokens, client-credentials tokens at userInfo, and bad revocations', async () => {
    expect((await refresh(emu, 'not-a-refresh-token')).body).toEqual({
      __type: 'NotAuthorizedException',
      message: 'Invalid Refresh Token',
    });
    const m2m = await fetch(emu.tokenUrl, {
      method: 'POST',
      headers: {
        'Content-Type': FORM,
        Authorization: basic('weather-caller', 'weather-caller-dev-secret'),
      },
      body: 'grant_type=client_credentials',
    });
    const { access_token } = (await m2m.json()) as { access_token: string };
    const info = await userInfo(emu, access_token);
    expect(info.status).toBe(401);
    expect(await info.json()).toMatchObject({ error: 'invalid_token' });
    expect((await fetch(`${emu.url}/oauth2/userInfo`)).status).toBe(400);

    // As Cognito's revoke endpoint documents: an unknown token 200 (RFC 7009 §2.2), bad
    // client credentials 401 invalid_client, no token 400 invalid_request.
    expect((await revoke(emu, { token: 'unknown', client_id: 'weather-web' })).status).toBe(200);
    const cases: [Record<string, string>, string | undefined, number, string][] = [
      [{ token: 'x' }, undefined, 401, 'invalid_client'],
      [{ token: 'x' }, basic('weather-caller', 'wrong'), 401, 'invalid_client'],
      [{ client_id: 'weather-web' }, undefined, 400, 'invalid_request'],
    ];
    for (const [form, auth, status, error] of cases) {
      const res = await revoke(emu, form, auth);
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ error });
    }
    const other = await password(emu, ALICE);
    const theirs = await revoke(
      emu,
      { token: other.body.AuthenticationResult.RefreshToken! },
      basic('weather-caller', 'weather-caller-dev-secret'),
    );
    expect(theirs.status).toBe(400);
    expect(await theirs.json()).toMatchObject({ error: 'unauthorized_client' });
  });

  it('locks a user out after 5 wrong passwords, as Cognito documents, then lets them in', async () => {
    const user = { USERNAME: 'alice', PASSWORD: 'wrong' };
    for (let i = 0; i < 5; i++) {
      expect((await password(emu, user)).body.message).toBe('Incorrect username or password.');
    }
    // Locked for 1 s: even the right password is refused, and so is an unknown user alike.
    const locked = await password(emu, ALICE);
    expect(locked).toEqual({
      status: 400,
      body: { __type: 'NotAuthorizedException', message: 'Password attempts exceeded' },
    });
    for (let i = 0; i < 5; i++) await password(emu, { USERNAME: 'mallory', PASSWORD: 'x' });
    expect((await password(emu, { USERNAME: 'mallory', PASSWORD: 'x' })).body.message).toBe(
      'Password attempts exceeded',
    );
    await new Promise((r) => setTimeout(r, 1100));
    expect((await password(emu, ALICE)).status).toBe(200);
  });
});

describe('PreventUserExistenceErrors per client', () => {
  it('LEGACY answers an unknown user with UserNotFoundException; ENABLED like a wrong password', async () => {
    const pool = await writePool((p) => {
      p.clients.push({
        ...p.clients.find((c) => c.clientId === 'weather-web')!,
        clientId: 'legacy-web',
        preventUserExistenceErrors: 'LEGACY',
      });
    });
    const emu = await startEmulator({
      PORT: '0',
      LOG_LEVEL: 'warn',
      COGNITO_EMULATOR_POOL_FILE: pool,
    });
    try {
      const unknown = { USERNAME: 'mallory', PASSWORD: 'x' };
      expect((await password(emu, unknown, 'legacy-web')).body).toEqual({
        __type: 'UserNotFoundException',
        message: 'User does not exist.',
      });
      expect((await password(emu, unknown, 'weather-web')).body).toEqual({
        __type: 'NotAuthorizedException',
        message: 'Incorrect username or password.',
      });
    } finally {
      await emu.close();
    }
  });
});
