import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CognitoIdentityProviderClient,
  GetClientTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { parsePool, poolJsonSchema, type PoolDocument } from '@app/fleet-auth';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { runCli } from './cli.js';
import { startCognitoEmulator, UnknownClientError } from './cognito-emulator.js';

// DEV-ONLY: the test's own pool.
const POOL: PoolDocument = {
  userPoolId: 'eu-west-1_Spec01',
  resourceServers: [{ identifier: 'orders', name: 'Orders', scopes: [{ name: 'read' }] }],
  clients: [
    {
      clientId: 'billing',
      clientSecret: 'billing-spec-secret',
      allowedOAuthFlows: ['client_credentials'],
      allowedOAuthScopes: ['orders/read'],
    },
  ],
};

describe('startCognitoEmulator', () => {
  it('serves a pool given as an object on a free port, with what a test needs', async () => {
    const cognito = await startCognitoEmulator({ pool: POOL });
    try {
      expect(cognito.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(cognito.issuer).toBe(`${cognito.url}/eu-west-1_Spec01`);
      expect(cognito.clients).toEqual([
        { clientId: 'billing', clientSecret: 'billing-spec-secret', scopes: ['orders/read'] },
      ]);
      const { clientId, clientSecret } = cognito.client('billing');
      const res = await fetch(cognito.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: clientSecret ?? '',
        }),
      });
      expect(res.status).toBe(200);
      const { access_token } = (await res.json()) as { access_token: string };
      const jwks = (await (await fetch(cognito.jwksUrl)).json()) as JSONWebKeySet;
      const { payload } = await jwtVerify(access_token, createLocalJWKSet(jwks), {
        issuer: cognito.issuer,
      });
      expect(payload).toMatchObject({ client_id: 'billing', scope: 'orders/read' });
      expect(() => cognito.client('nobody')).toThrow(UnknownClientError);
    } finally {
      await cognito.stop();
    }
    await expect(fetch(cognito.tokenUrl, { method: 'POST' })).rejects.toThrow();
  });

  it('refuses a bad port or pool before starting, naming it', async () => {
    await expect(startCognitoEmulator({ pool: POOL, port: 70_000 })).rejects.toMatchObject({
      code: 'invalid_config',
      variable: 'port',
    });
    await expect(
      startCognitoEmulator({ pool: { ...POOL, userPoolId: 'Spec01' } }),
    ).rejects.toMatchObject({
      code: 'invalid_pool_file',
      message: expect.stringContaining('userPoolId') as string,
    });
  });
});

describe('cognito-m2m-emulator init', () => {
  let dir: string;
  const lines: string[] = [];
  const context = () => ({
    env: {},
    cwd: dir,
    out: (line: string) => lines.push(line),
    err: (line: string) => lines.push(line),
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'emulator-init-'));
    lines.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a pool the emulator loads, private, naming the schema of the installed package', async () => {
    // The package installed in the project, the pool file in a folder of it.
    const schema = join(dir, 'node_modules', 'cognito-m2m-emulator', 'pool.schema.json');
    mkdirSync(join(schema, '..'), { recursive: true });
    writeFileSync(schema, '{}');
    mkdirSync(join(dir, 'test'));
    expect(await runCli(['init', 'test/pool.json'], context())).toBe(0);
    const file = join(dir, 'test', 'pool.json');
    const pool = JSON.parse(readFileSync(file, 'utf8')) as PoolDocument & { $schema: string };
    expect(pool.$schema).toBe('../node_modules/cognito-m2m-emulator/pool.schema.json');
    const validate = addFormats.default(new Ajv2020({ strict: false })).compile(poolJsonSchema());
    expect(validate(pool), JSON.stringify(validate.errors)).toBe(true);
    expect(parsePool(pool).clients[0].allowedOAuthScopes).toEqual(['my-api/read']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(lines.join('\n')).not.toContain(String(pool.clients[0].clientSecret));
  });

  it("writes a client that gets its token from the token endpoint and from the SDK's GetClientToken", async () => {
    expect(await runCli(['init'], context())).toBe(0);
    const cognito = await startCognitoEmulator({ pool: join(dir, 'pool.json') });
    try {
      const { clientId, clientSecret } = cognito.client('my-service');
      const endpoint = await fetch(cognito.tokenUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
      expect(endpoint.status).toBe(200);
      const sdk = new CognitoIdentityProviderClient({
        endpoint: cognito.url,
        region: 'us-east-1',
        // Dummy credentials: GetClientToken is authenticated by the client's secret.
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'dev-only-not-a-secret' },
        maxAttempts: 1,
      });
      const { ClientAuthenticationResult: result } = await sdk.send(
        new GetClientTokenCommand({ ClientId: clientId, Secret: clientSecret ?? '' }),
      );
      const jwks = (await (await fetch(cognito.jwksUrl)).json()) as JSONWebKeySet;
      const { payload } = await jwtVerify(result?.AccessToken ?? '', createLocalJWKSet(jwks), {
        issuer: cognito.issuer,
      });
      expect(payload).toMatchObject({ client_id: 'my-service', scope: 'my-api/read' });
    } finally {
      await cognito.stop();
    }
  });

  it('never overwrites a pool file, unless told to', async () => {
    writeFileSync(join(dir, 'pool.json'), '{"mine":true}');
    expect(await runCli(['init'], context())).toBe(1);
    expect(readFileSync(join(dir, 'pool.json'), 'utf8')).toBe('{"mine":true}');
    expect(await runCli(['init', '--force'], context())).toBe(0);
    expect(readFileSync(join(dir, 'pool.json'), 'utf8')).toContain('my-service');
  });

  it('answers wrong arguments with exit code 2 and a pointer to --help', async () => {
    expect(await runCli(['--pol', 'x.json'], context())).toBe(2);
    expect(await runCli(['serve'], context())).toBe(2);
    expect(lines.filter((line) => line.includes('--help'))).toHaveLength(2);
  });
});
