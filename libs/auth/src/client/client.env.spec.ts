import { EnvConfigError } from '../shared/errors.js';
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
});
