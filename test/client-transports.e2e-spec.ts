// The client library on today's Cognito, against the emulator as its own process: tokens
// through GetClientToken (the api transport) that verify with the pool's key set, client
// metadata reaching the pool's V3 pre token generation trigger on both transports (its
// tenant_id claim), one cached token per metadata value, counted at the issuer; and a caller
// configured by environment alone for the api transport, metadata and a secret file.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenEndpointError, TokenProvider } from '@nest-m2m-cognito/auth/client';
import {
  demoClient,
  demoIssuer,
  launchService,
  localWiring,
  type ServiceProcess,
  stopAll,
  tokenRequestSeries,
} from '../scripts/lib/fleet.mjs';
import { decodeJwt, READ_SCOPE, TEST_ENV } from './helpers/process-fleet.js';

const API_ONLY = demoClient('weather-sdk-caller');
const TENANT = demoClient('weather-tenant-caller');

describe('the client library on the api transport and with client metadata', () => {
  const started: ServiceProcess[] = [];
  const providers: TokenProvider[] = [];
  let dir: string;
  let emulator: ServiceProcess;
  let api: ServiceProcess;

  /** Token requests the emulator counted for `clientId`: by way (`GetClientToken` or the grant) and outcome. */
  const counted = async (
    clientId: string,
    way: 'GetClientToken' | 'client_credentials',
    outcome = 'success',
  ) =>
    (await tokenRequestSeries(emulator.url))
      .filter(
        (s) =>
          s.clientId === clientId &&
          s.outcome === outcome &&
          s.line.includes(`grant_type="${way}"`),
      )
      .reduce((sum, s) => sum + s.count, 0);
  const provider = (
    options: Partial<ConstructorParameters<typeof TokenProvider>[0]> & {
      clientId: string;
      clientSecret: string;
    },
  ) => {
    const p = new TokenProvider(
      { transport: 'api', apiEndpoint: emulator.url, scopes: [READ_SCOPE], ...options },
      { logger: { warn: () => undefined, log: () => undefined, error: () => undefined } },
    );
    providers.push(p);
    return p;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'client-transports-e2e-'));
    emulator = await launchService('cognito-emulator', {
      env: { ...TEST_ENV, COGNITO_EMULATOR_KEYS_FILE: join(dir, 'keys.json') },
    });
    started.push(emulator);
    api = await launchService('weather-api', {
      env: { ...TEST_ENV, ...localWiring('weather-api', { 'cognito-emulator': emulator.url }) },
    });
    started.push(api);
  });

  afterAll(async () => {
    for (const p of providers) p.close();
    await stopAll(started, 2000);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('GetClientToken for an ALLOW_CLIENT_TOKEN_AUTH client: a token that verifies with the JWKS, its client and scope', async () => {
    const token = await provider({
      clientId: API_ONLY.id,
      clientSecret: API_ONLY.secret,
    }).getToken();
    const issuer = demoIssuer(emulator.url);
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`)),
      { issuer, algorithms: ['RS256'] },
    );
    expect(protectedHeader.kid).toEqual(expect.any(String));
    expect(payload).toMatchObject({
      client_id: API_ONLY.id,
      scope: READ_SCOPE,
      token_use: 'access',
    });
    expect(await counted(API_ONLY.id, 'GetClientToken')).toBe(1);
    // weather-api takes it like any token of the pool.
    const res = await fetch(`${api.url}/weatherforecast`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
  });

  it('metadata reaches the V3 trigger on both transports; two values are two tokens, the same value one', async () => {
    const tenant = (metadata: Record<string, string>, transport: 'api' | 'token-endpoint') =>
      provider({
        clientId: TENANT.id,
        clientSecret: TENANT.secret,
        clientMetadata: metadata,
        ...(transport === 'token-endpoint' && {
          transport,
          apiEndpoint: undefined,
          tokenUrl: `${emulator.url}/oauth2/token`,
        }),
      });
    const acmeApi = await tenant({ tenant_id: 'acme' }, 'api').getToken();
    const acmeForm = await tenant({ tenant_id: 'acme' }, 'token-endpoint').getToken();
    const globex = await tenant({ tenant_id: 'globex' }, 'api').getToken();
    const acmeAgain = await tenant({ tenant_id: 'acme' }, 'api').getToken();
    expect(decodeJwt(acmeApi).claims).toMatchObject({ client_id: TENANT.id, tenant_id: 'acme' });
    expect(decodeJwt(acmeForm).claims).toMatchObject({ client_id: TENANT.id, tenant_id: 'acme' });
    expect(decodeJwt(globex).claims).toMatchObject({ tenant_id: 'globex' });
    expect(acmeAgain).toBe(acmeApi);
    expect(await counted(TENANT.id, 'GetClientToken')).toBe(2);
    expect(await counted(TENANT.id, 'client_credentials')).toBe(1);
  });

  it('a wrong secret: invalid_client, one request at the issuer, never sent again', async () => {
    const wrong = provider({ clientId: API_ONLY.id, clientSecret: 'not-the-secret-0123456789' });
    for (let i = 0; i < 5; i += 1) {
      const error = await wrong.getToken().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenEndpointError);
      expect(error).toMatchObject({
        code: 'invalid_client',
        cause: { error: 'NotAuthorizedException' },
      });
    }
    expect(await counted(API_ONLY.id, 'GetClientToken', 'NotAuthorizedException')).toBe(1);
  });

  it('a caller configured by environment alone: api transport, metadata, secret file; GET /forecast answers', async () => {
    const secretFile = join(dir, 'tenant-secret');
    await writeFile(secretFile, `${TENANT.secret}\n`, { mode: 0o600 });
    const before = await counted(TENANT.id, 'GetClientToken');
    const caller = await launchService('caller', {
      env: {
        ...TEST_ENV,
        ...localWiring('caller', { 'cognito-emulator': emulator.url, 'weather-api': api.url }),
        OAUTH_TRANSPORT: 'api',
        OAUTH_API_ENDPOINT: emulator.url,
        OAUTH_CLIENT_ID: TENANT.id,
        OAUTH_CLIENT_SECRET: '',
        OAUTH_CLIENT_SECRET_FILE: secretFile,
        OAUTH_CLIENT_METADATA: '{"tenant_id":"initech"}',
        // The write client stays on the token endpoint.
        OAUTH_WRITE_TRANSPORT: 'token-endpoint',
      },
    });
    started.push(caller);
    const res = await fetch(`${caller.url}/forecast`);
    expect(res.status).toBe(200);
    expect(Array.isArray(await res.json())).toBe(true);
    expect((await counted(TENANT.id, 'GetClientToken')) - before).toBe(1);
    expect(caller.output).not.toContain(TENANT.secret);
  });
});
