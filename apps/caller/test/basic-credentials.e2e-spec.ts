import { triggerModulePath, type PoolDocument } from '@app/fleet-auth';
import { TokenProvider } from '@nest-m2m-cognito/auth/client';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../cognito-emulator/src/bootstrap.js';

// The client sends Basic credentials as they are, as Cognito documents; the emulator also
// takes the RFC 6749 §2.3.1 form-urlencoded reading that spec-compliant clients send.
const ID = 'svc+one.two';
const SECRET = 'p+q%2Fr s:t%%';
type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let emulator: Emulator;

beforeAll(async () => {
  const demo = new URL('../../../libs/fleet-auth/pool.json', import.meta.url);
  const pool = JSON.parse(await readFile(demo, 'utf8')) as PoolDocument & { clients: object[] };
  // The copy names the demo trigger module by its absolute path (relative is to the pool file).
  const trigger = pool.userPool!.lambdaConfig!.preTokenGenerationConfig!;
  trigger.module = triggerModulePath(demo.pathname, trigger.module);
  pool.clients.push({
    clientId: ID,
    clientSecret: SECRET,
    allowedOAuthFlows: ['client_credentials'],
    allowedOAuthScopes: ['weather-api/forecast.read'],
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

  it('also accepts the form-urlencoded (RFC 6749 §2.3.1) reading, and nothing in between', async () => {
    const encode = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
    const send = (id: string, secret: string) =>
      fetch(emulator.tokenUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
    expect((await send(encode(ID), encode(SECRET))).status).toBe(200);
    const mixed = await send(encode(ID), SECRET);
    expect(mixed.status).toBe(400);
    expect(await mixed.json()).toMatchObject({ error: 'invalid_client' });
  });
});
