import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvConfigError } from '../shared/errors.js';
import { FileClientSecret, SecretsManagerClientSecret } from './client-secret.js';
import { m2mClientOptionsFromEnv } from './client.env.js';

const SECRET = 'inventory-secret-value';
const env = {
  OAUTH_TOKEN_URL: 'https://auth.example.com/oauth2/token/',
  OAUTH_INVENTORY_API_CLIENT_ID: 'inventory-caller',
  OAUTH_INVENTORY_API_CLIENT_SECRET: SECRET,
  OAUTH_INVENTORY_API_SCOPES: 'inventory-api/items.read inventory-api/items.write',
  INVENTORY_API_URL: 'http://inventory-api:3000/',
};

describe('m2mClientOptionsFromEnv', () => {
  it('reads a named client from its prefixed variables: no configuration code per client', () => {
    expect(m2mClientOptionsFromEnv(env, 'inventory-api')).toEqual({
      name: 'inventory-api',
      downstream: 'inventory-api',
      tokenUrl: 'https://auth.example.com/oauth2/token',
      clientId: 'inventory-caller',
      clientSecret: SECRET,
      scopes: ['inventory-api/items.read', 'inventory-api/items.write'],
      authMethod: 'client_secret_basic',
      tokenTimeoutMs: undefined,
      retry: {},
      baseURL: 'http://inventory-api:3000',
      requestTimeoutMs: undefined,
    });
  });

  it('shares the token endpoint, retries and default auth method across clients', () => {
    const options = m2mClientOptionsFromEnv(
      {
        ...env,
        OAUTH_TOKEN_URL: undefined,
        COGNITO_DOMAIN: 'my-fleet',
        COGNITO_REGION: 'eu-west-1',
        OAUTH_AUTH_METHOD: 'client_secret_post',
        OAUTH_RETRY_MAX_ATTEMPTS: '2',
        OAUTH_TOKEN_TIMEOUT_MS: '1500',
        INVENTORY_API_TIMEOUT_MS: '2000',
      },
      'inventory-api',
    );
    expect(options).toMatchObject({
      tokenUrl: 'https://my-fleet.auth.eu-west-1.amazoncognito.com/oauth2/token',
      authMethod: 'client_secret_post',
      retry: { maxAttempts: 2 },
      tokenTimeoutMs: 1500,
      requestTimeoutMs: 2000,
    });
  });

  it.each([
    [{ INVENTORY_API_URL: undefined }, 'INVENTORY_API_URL', /INVENTORY_API_URL is required/],
    [
      { OAUTH_INVENTORY_API_CLIENT_SECRET: undefined },
      'OAUTH_INVENTORY_API_CLIENT_SECRET',
      /OAUTH_INVENTORY_API_CLIENT_SECRET is required when OAUTH_INVENTORY_API_CLIENT_ID is set/,
    ],
    [{ OAUTH_TOKEN_URL: undefined }, 'OAUTH_TOKEN_URL', /OAUTH_TOKEN_URL .*required when/],
    [
      { OAUTH_INVENTORY_API_AUTH_METHOD: 'private_key_jwt' },
      'OAUTH_INVENTORY_API_AUTH_METHOD',
      /must be client_secret_basic or client_secret_post/,
    ],
    [{ OAUTH_RETRY_MAX_ATTEMPTS: '0' }, 'OAUTH_RETRY_MAX_ATTEMPTS', /integer \(1-20\)/],
  ])('fails fast on %o, naming %s and never the secret', (override, variable, message) => {
    const bad = { ...env, ...override };
    expect(() => m2mClientOptionsFromEnv(bad, 'inventory-api')).toThrow(message);
    expect(() => m2mClientOptionsFromEnv(bad, 'inventory-api')).toThrow(
      expect.objectContaining({ variable }) as EnvConfigError,
    );
    expect(() => m2mClientOptionsFromEnv(bad, 'inventory-api')).toThrow(
      /^(?!.*inventory-secret-value)/,
    );
  });

  it('uses the development client only with no token endpoint, no credentials and not in production', () => {
    const dev = {
      tokenUrl: 'http://127.0.0.1:4000/oauth2/token',
      clientId: 'dev-client',
      clientSecret: 'dev-secret',
      scopes: ['inventory-api/items.read'],
    };
    const options = { dev, defaultBaseURL: 'http://127.0.0.1:3002' };
    expect(m2mClientOptionsFromEnv({}, 'inventory-api', options)).toMatchObject({
      tokenUrl: dev.tokenUrl,
      clientId: 'dev-client',
      scopes: ['inventory-api/items.read'],
      baseURL: 'http://127.0.0.1:3002',
    });
    expect(() =>
      m2mClientOptionsFromEnv({ NODE_ENV: 'production' }, 'inventory-api', options),
    ).toThrow(/OAUTH_TOKEN_URL .*required when NODE_ENV=production/);
    expect(() =>
      m2mClientOptionsFromEnv({ OAUTH_INVENTORY_API_CLIENT_ID: 'x' }, 'inventory-api', options),
    ).toThrow(/OAUTH_TOKEN_URL .*required when OAUTH_INVENTORY_API_CLIENT_ID is set/);
  });

  it('reads the refresh point and the no-storm cooldown, refusing values it cannot use', () => {
    expect(
      m2mClientOptionsFromEnv(
        { ...env, OAUTH_INVENTORY_API_REFRESH_AHEAD: '0.5', OAUTH_REJECTION_COOLDOWN_MS: '60000' },
        'inventory-api',
      ),
    ).toMatchObject({ refreshAhead: 0.5, rejectionCooldownMs: 60_000 });
    for (const [name, value] of [
      ['OAUTH_INVENTORY_API_REFRESH_AHEAD', '0'],
      ['OAUTH_INVENTORY_API_REFRESH_AHEAD', '1.5'],
      ['OAUTH_INVENTORY_API_REFRESH_AHEAD', 'soon'],
      ['OAUTH_REJECTION_COOLDOWN_MS', '-1'],
    ]) {
      expect(() => m2mClientOptionsFromEnv({ ...env, [name]: value }, 'inventory-api')).toThrow(
        expect.objectContaining({ variable: name }),
      );
    }
  });

  describe('the api transport', () => {
    const api = {
      ...env,
      OAUTH_TOKEN_URL: undefined,
      OAUTH_INVENTORY_API_TRANSPORT: 'api',
      COGNITO_REGION: 'eu-west-1',
    };

    it('takes the API endpoint from COGNITO_REGION, or from OAUTH_API_ENDPOINT / the client’s own', () => {
      expect(m2mClientOptionsFromEnv(api, 'inventory-api')).toMatchObject({
        transport: 'api',
        apiEndpoint: 'https://cognito-idp.eu-west-1.amazonaws.com/',
      });
      expect(m2mClientOptionsFromEnv(api, 'inventory-api')).not.toHaveProperty('tokenUrl');
      const local = { ...api, OAUTH_API_ENDPOINT: 'http://127.0.0.1:4000' };
      expect(m2mClientOptionsFromEnv(local, 'inventory-api').apiEndpoint).toBe(
        'http://127.0.0.1:4000',
      );
      const own = { ...local, OAUTH_INVENTORY_API_API_ENDPOINT: 'http://127.0.0.1:4001/' };
      expect(m2mClientOptionsFromEnv(own, 'inventory-api').apiEndpoint).toBe(
        'http://127.0.0.1:4001/',
      );
      // OAUTH_TRANSPORT is every client's default; a client's own variable wins.
      const shared = { ...api, OAUTH_INVENTORY_API_TRANSPORT: undefined, OAUTH_TRANSPORT: 'api' };
      expect(m2mClientOptionsFromEnv(shared, 'inventory-api').transport).toBe('api');
      const mine = {
        ...env,
        OAUTH_TRANSPORT: 'api',
        OAUTH_INVENTORY_API_TRANSPORT: 'token-endpoint',
      };
      expect(m2mClientOptionsFromEnv(mine, 'inventory-api').tokenUrl).toBe(
        'https://auth.example.com/oauth2/token',
      );
    });

    it.each([
      [
        { OAUTH_INVENTORY_API_TRANSPORT: 'grpc' },
        'OAUTH_INVENTORY_API_TRANSPORT',
        /token-endpoint or api/,
      ],
      [{ COGNITO_REGION: undefined }, 'OAUTH_API_ENDPOINT', /OAUTH_API_ENDPOINT .*required when/],
      [{ COGNITO_REGION: 'eu-west-1.evil.example' }, 'COGNITO_REGION', /region/],
      [{ OAUTH_API_ENDPOINT: 'ftp://x' }, 'OAUTH_API_ENDPOINT', /must be a URL/],
    ])('fails fast on %o, naming %s', (override, variable, message) => {
      const bad = { ...api, ...override };
      expect(() => m2mClientOptionsFromEnv(bad, 'inventory-api')).toThrow(message);
      expect(() => m2mClientOptionsFromEnv(bad, 'inventory-api')).toThrow(
        expect.objectContaining({ variable }),
      );
    });

    it('never falls back to the development client: the API endpoint is required', () => {
      const dev = {
        tokenUrl: 'http://127.0.0.1:4000/oauth2/token',
        clientId: 'd',
        clientSecret: 'd',
      };
      expect(() =>
        m2mClientOptionsFromEnv({ OAUTH_TRANSPORT: 'api' }, 'inventory-api', {
          dev,
          defaultBaseURL: 'http://127.0.0.1:3002',
        }),
      ).toThrow(expect.objectContaining({ variable: 'OAUTH_API_ENDPOINT' }));
    });
  });

  describe('client metadata', () => {
    it('reads OAUTH_<NAME>_CLIENT_METADATA, a JSON object of strings, in one key order', () => {
      const options = m2mClientOptionsFromEnv(
        { ...env, OAUTH_INVENTORY_API_CLIENT_METADATA: '{"tenant":"acme","plan":"gold"}' },
        'inventory-api',
      );
      expect(Object.entries(options.clientMetadata!)).toEqual([
        ['plan', 'gold'],
        ['tenant', 'acme'],
      ]);
    });

    it.each([
      ['not JSON', '{tenant: acme}'],
      ['an array', '["acme"]'],
      ['a number value', '{"tenant":1}'],
      ['too large', JSON.stringify({ big: 'x'.repeat(5000) })],
    ])('refuses %s, naming the variable and not the value', (_, value) => {
      const bad = { ...env, OAUTH_INVENTORY_API_CLIENT_METADATA: value };
      expect(() => m2mClientOptionsFromEnv(bad, 'inventory-api')).toThrow(
        expect.objectContaining({ variable: 'OAUTH_INVENTORY_API_CLIENT_METADATA' }),
      );
      expect(() => m2mClientOptionsFromEnv(bad, 'inventory-api')).toThrow(/^(?!.*(acme|xxxx))/);
    });
  });

  describe('the client secret from a file or Secrets Manager', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'client-env-'));
    });
    afterEach(() => rm(dir, { recursive: true, force: true }));
    const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:m2m/inventory-AbCdEf';
    const without = { ...env, OAUTH_INVENTORY_API_CLIENT_SECRET: undefined };

    it('reads the file now, as a source read again when it changes', async () => {
      const path = join(dir, 'secret');
      await writeFile(path, 'file-secret-value\n');
      const options = m2mClientOptionsFromEnv(
        {
          ...without,
          OAUTH_INVENTORY_API_CLIENT_SECRET_FILE: path,
          OAUTH_SECRET_REFRESH_MS: '5000',
        },
        'inventory-api',
      );
      expect(options.clientSecret).toBeInstanceOf(FileClientSecret);
      expect((options.clientSecret as FileClientSecret).current()).toBe('file-secret-value');
    });

    it('takes a Secrets Manager ARN as a source read at first use', () => {
      const options = m2mClientOptionsFromEnv(
        { ...without, OAUTH_INVENTORY_API_CLIENT_SECRET_ARN: ARN },
        'inventory-api',
      );
      expect(options.clientSecret).toBeInstanceOf(SecretsManagerClientSecret);
      expect((options.clientSecret as SecretsManagerClientSecret).secretId).toBe(ARN);
    });

    it.each([
      [
        'a missing file',
        { OAUTH_INVENTORY_API_CLIENT_SECRET_FILE: '/nonexistent/secret' },
        'OAUTH_INVENTORY_API_CLIENT_SECRET_FILE',
        /cannot serve as the client secret \(ENOENT\)/,
      ],
      [
        'not an ARN',
        { OAUTH_INVENTORY_API_CLIENT_SECRET_ARN: 'm2m/inventory' },
        'OAUTH_INVENTORY_API_CLIENT_SECRET_ARN',
        /must be the ARN of a Secrets Manager secret/,
      ],
      [
        'a refresh interval under a second',
        { OAUTH_INVENTORY_API_CLIENT_SECRET_ARN: ARN, OAUTH_SECRET_REFRESH_MS: '10' },
        'OAUTH_SECRET_REFRESH_MS',
        /integer \(1000-86400000\)/,
      ],
      [
        'a secret source without the client id',
        { OAUTH_INVENTORY_API_CLIENT_ID: undefined, OAUTH_INVENTORY_API_CLIENT_SECRET_ARN: ARN },
        'OAUTH_INVENTORY_API_CLIENT_ID',
        /OAUTH_INVENTORY_API_CLIENT_ID is required when OAUTH_INVENTORY_API_CLIENT_SECRET_ARN is set/,
      ],
    ])('fails fast on %s, naming the variable', (_, override, variable, message) => {
      const bad = { ...without, ...override };
      expect(() => m2mClientOptionsFromEnv(bad, 'inventory-api')).toThrow(message);
      expect(() => m2mClientOptionsFromEnv(bad, 'inventory-api')).toThrow(
        expect.objectContaining({ variable }),
      );
    });

    it('two sources for one client stop start-up, naming both variables', async () => {
      const path = join(dir, 'secret');
      await writeFile(path, 'file-secret-value');
      for (const [a, b] of [
        ['OAUTH_INVENTORY_API_CLIENT_SECRET', 'OAUTH_INVENTORY_API_CLIENT_SECRET_FILE'],
        ['OAUTH_INVENTORY_API_CLIENT_SECRET_FILE', 'OAUTH_INVENTORY_API_CLIENT_SECRET_ARN'],
        ['OAUTH_INVENTORY_API_CLIENT_SECRET', 'OAUTH_INVENTORY_API_CLIENT_SECRET_ARN'],
      ]) {
        const values: Record<string, string> = {
          OAUTH_INVENTORY_API_CLIENT_SECRET: SECRET,
          OAUTH_INVENTORY_API_CLIENT_SECRET_FILE: path,
          OAUTH_INVENTORY_API_CLIENT_SECRET_ARN: ARN,
        };
        const bad = { ...without, [a]: values[a], [b]: values[b] };
        const error = (() => {
          try {
            return m2mClientOptionsFromEnv(bad, 'inventory-api');
          } catch (e) {
            return e as EnvConfigError;
          }
        })() as EnvConfigError;
        expect(error).toBeInstanceOf(EnvConfigError);
        expect(error.message).toContain(`${a} and ${b} are both set`);
        expect(error.message).not.toContain(SECRET);
      }
    });
  });
});
