import { TokenProvider } from '@nest-m2m-cognito/auth/client';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../cognito-emulator/src/bootstrap.js';

// The client and the emulator agree on Basic credentials with characters that
// form-urlencoding would change: both use them as they are, as Cognito does.
const ID = 'svc+one.two';
const SECRET = 'p+q%2Fr s:t%%';
type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let emulator: Emulator;

beforeAll(async () => {
  const demo = new URL('../../cognito-emulator/pool.json', import.meta.url);
  const pool = JSON.parse(await readFile(demo, 'utf8')) as { clients: object[] };
  pool.clients.push({
    clientId: ID,
    clientSecret: SECRET,
    allowedOAuthFlows: ['client_credentials'],
    allowedOAuthScopes: ['weather-api/forecast.read'],
    accessTokenValiditySeconds: 3600,
  });
  const file = join(await mkdtemp(join(tmpdir(), 'caller-basic-')), 'pool.json');
  await writeFile(file, JSON.stringify(pool));
  emulator = await startEmulator({
    PORT: '0',
    LOG_LEVEL: 'warn',
    COGNITO_EMULATOR_POOL_FILE: file,
  });
});

afterAll(() => emulator.close());

describe('Basic credentials between the M2M client and the emulator', () => {
  it.each(['client_secret_basic', 'client_secret_post'] as const)(
    'gets a token for an id with "+" and a secret with "%", "+", " " and ":" (%s)',
    async (authMethod) => {
      const provider = new TokenProvider({
        tokenUrl: emulator.tokenUrl,
        clientId: ID,
        clientSecret: SECRET,
        authMethod,
        scopes: ['weather-api/forecast.read'],
      });
      try {
        const token = await provider.getToken();
        const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as {
          client_id: string;
        };
        expect(claims.client_id).toBe(ID);
      } finally {
        provider.close();
      }
    },
  );

  it('is refused with the form-urlencoded (RFC 6749 §2.3.1) form, as Cognito refuses it', async () => {
    const encode = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
    const res = await fetch(emulator.tokenUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${encode(ID)}:${encode(SECRET)}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });
});
