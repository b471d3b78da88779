// The clients and verifiers users bring, as they come, against the emulator.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { CognitoJwtVerifier, JwtRsaVerifier } from 'aws-jwt-verify';
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
import { startEmulator, type StartedEmulator } from '../src/bootstrap.js';
import { CALLER, decode, READ, tempDir, writePool } from './helpers.js';

/** A token for the demo read client, by client_secret_post. */
async function postToken(tokenUrl: string): Promise<string> {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: CALLER.id,
      client_secret: CALLER.secret,
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

// An id and secret whose RFC 6749 §2.3.1 form-encoding differs from the raw bytes.
const ODD = { id: 'svc+one.two', secret: 'p+q%2Fr s:t%%' };

describe('oauth4webapi and openid-client v6 get tokens both ways', () => {
  let emu: StartedEmulator;
  beforeAll(async () => {
    const pool = await writePool((p) => {
      p.clients.push({
        ...p.clients.find((c) => c.clientId === CALLER.id)!,
        clientId: ODD.id,
        clientSecret: ODD.secret,
      });
    });
    emu = await startEmulator({ PORT: '0', LOG_LEVEL: 'warn', COGNITO_EMULATOR_POOL_FILE: pool });
  });
  afterAll(() => emu.close());

  const methods = ['client_secret_basic', 'client_secret_post'] as const;
  const clients = [CALLER, ODD];
  const cases = methods.flatMap((m) => clients.map((c) => [m, c.id, c] as const));

  it.each(cases)('oauth4webapi, %s, client %s', async (method, _id, { id, secret }) => {
    const issuer = new URL(emu.issuer);
    const insecure = { [oauth.allowInsecureRequests]: true };
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, insecure),
    );
    const client = { client_id: id };
    const auth =
      method === 'client_secret_basic'
        ? oauth.ClientSecretBasic(secret)
        : oauth.ClientSecretPost(secret);
    const res = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      auth,
      new URLSearchParams({ scope: READ }),
      insecure,
    );
    const tokens = await oauth.processClientCredentialsResponse(as, client, res);
    expect(tokens.token_type).toBe('bearer');
    expect(decode(tokens.access_token).claims).toMatchObject({ client_id: id, scope: READ });
  });

  it.each(cases)('openid-client, %s, client %s', async (method, _id, { id, secret }) => {
    const auth =
      method === 'client_secret_basic'
        ? openid.ClientSecretBasic(secret)
        : openid.ClientSecretPost(secret);
    const config = await openid.discovery(new URL(emu.issuer), id, undefined, auth, {
      execute: [openid.allowInsecureRequests],
    });
    const tokens = await openid.clientCredentialsGrant(config, { scope: READ });
    expect(decode(tokens.access_token).claims).toMatchObject({ client_id: id, scope: READ });
  });
});

describe('aws-jwt-verify', () => {
  it('JwtRsaVerifier with default options verifies tokens over the emulator HTTPS', async () => {
    const dir = await tempDir();
    const env = {
      PORT: '0',
      LOG_LEVEL: 'warn',
      COGNITO_EMULATOR_TLS: 'true',
      COGNITO_EMULATOR_TLS_DIR: dir,
    };
    const emu = await startEmulator(env);
    // Trust the dev CA the emulator created, as NODE_EXTRA_CA_CERTS does for a process.
    const ca = await readFile(join(dir, 'ca.pem'), 'utf8');
    setDefaultCACertificates([...getCACertificates('default'), ca]);
    try {
      expect(emu.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/us-east-1_Weather01$/);
      const verifier = JwtRsaVerifier.create({
        issuer: emu.issuer,
        audience: null,
        jwksUri: `${emu.issuer}/.well-known/jwks.json`,
      });
      const access_token = await postToken(emu.tokenUrl);

      await expect(verifier.verify(access_token)).resolves.toMatchObject({
        client_id: CALLER.id,
        token_use: 'access',
      });
    } finally {
      await emu.close();
    }
    // A restart keeps the CA (and so the trust) and the certificate.
    const again = await startEmulator(env);
    try {
      expect(await readFile(join(dir, 'ca.pem'), 'utf8')).toBe(ca);
      expect((await fetch(`${again.url}/health/live`)).status).toBe(200);
    } finally {
      await again.close();
    }
  });

  it('CognitoJwtVerifier.create takes the demo pool id and verifies its tokens', async () => {
    // The issuer base of a real region, so iss is what CognitoJwtVerifier derives from the
    // pool id; the key set is handed over from the emulator (no network).
    const emu = await startEmulator({
      PORT: '0',
      LOG_LEVEL: 'warn',
      COGNITO_EMULATOR_ISSUER_BASE: 'https://cognito-idp.us-east-1.amazonaws.com',
    });
    try {
      const verifier = CognitoJwtVerifier.create({
        userPoolId: 'us-east-1_Weather01',
        tokenUse: 'access',
        clientId: CALLER.id,
        scope: READ,
      });
      const jwks = await (
        await fetch(`${emu.url}/us-east-1_Weather01/.well-known/jwks.json`)
      ).json();
      verifier.cacheJwks(jwks as Parameters<typeof verifier.cacheJwks>[0]);
      const access_token = await postToken(`${emu.url}/oauth2/token`);

      await expect(verifier.verify(access_token)).resolves.toMatchObject({
        iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Weather01',
      });
    } finally {
      await emu.close();
    }
  });
});
