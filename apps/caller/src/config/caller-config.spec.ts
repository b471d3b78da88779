import { EnvConfigError } from '@nest-m2m-cognito/auth/client';
import { callerClients } from './caller-config.js';

const loadCallerConfig = (env: NodeJS.ProcessEnv) => {
  const [read, write] = callerClients(env);
  return { tokenUrl: read.tokenUrl, weatherApiUrl: read.baseURL, read, write };
};

describe('callerClients', () => {
  it('targets the local emulator demo pool when nothing is configured', () => {
    const config = loadCallerConfig({});
    expect(config).toMatchObject({
      weatherApiUrl: 'http://127.0.0.1:3000',
      tokenUrl: 'http://127.0.0.1:4000/oauth2/token',
      read: {
        clientId: 'weather-caller',
        scopes: ['weather-api/forecast.read'],
        authMethod: 'client_secret_basic',
      },
      write: { clientId: 'weather-admin', scopes: ['weather-api/forecast.write'] },
    });
  });

  it('derives the Cognito token URL from COGNITO_DOMAIN and COGNITO_REGION', () => {
    const config = loadCallerConfig({
      COGNITO_DOMAIN: 'my-fleet',
      COGNITO_REGION: 'eu-west-1',
      OAUTH_CLIENT_ID: 'abc',
      OAUTH_CLIENT_SECRET: 'xyz',
      OAUTH_AUTH_METHOD: 'client_secret_post',
    });
    expect(config.tokenUrl).toBe('https://my-fleet.auth.eu-west-1.amazoncognito.com/oauth2/token');
    expect(config.read).toMatchObject({
      clientId: 'abc',
      clientSecret: 'xyz',
      scopes: [],
      authMethod: 'client_secret_post',
    });
    // no separate write client: the read client's credentials, every allowed scope
    expect(config.write).toMatchObject({ clientId: 'abc', scopes: [] });
  });

  it.each([
    [{ WEATHER_API_TIMEOUT_MS: 'soon' }, /WEATHER_API_TIMEOUT_MS/],
    [{ WEATHER_API_URL: 'ftp://x' }, /WEATHER_API_URL/],
    [{ OAUTH_TOKEN_URL: 'https://idp/oauth2/token' }, /OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET/],
    [
      { OAUTH_TOKEN_URL: 'https://idp/oauth2/token', OAUTH_CLIENT_ID: 'abc' },
      /OAUTH_CLIENT_SECRET is required/,
    ],
    [
      { OAUTH_CLIENT_ID: 'abc', OAUTH_CLIENT_SECRET: 'xyz' },
      /OAUTH_TOKEN_URL .*required when OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET are set/,
    ],
    [{ OAUTH_CLIENT_ID: 'abc' }, /OAUTH_TOKEN_URL/],
    [
      { OAUTH_WRITE_CLIENT_SECRET: 'xyz' },
      /OAUTH_TOKEN_URL .*when OAUTH_WRITE_CLIENT_SECRET is set/,
    ],
    [
      { COGNITO_REGION: 'eu-west-1', OAUTH_CLIENT_ID: 'a', OAUTH_CLIENT_SECRET: 'b' },
      /OAUTH_TOKEN_URL/,
    ],
    [{ NODE_ENV: 'production' }, /OAUTH_TOKEN_URL .*required when NODE_ENV=production/],
    [{ OAUTH_AUTH_METHOD: 'private_key_jwt' }, /OAUTH_AUTH_METHOD/],
    [{ COGNITO_DOMAIN: 'my-fleet' }, /COGNITO_DOMAIN\/COGNITO_REGION/],
    [{ OAUTH_SCOPES: 'a  b' }, /OAUTH_SCOPES/],
  ])('fails fast on %o, naming the variable', (env, message) => {
    expect(() => loadCallerConfig(env)).toThrow(EnvConfigError);
    expect(() => loadCallerConfig(env)).toThrow(message);
  });

  it('never puts a secret value in the error', () => {
    expect(() =>
      loadCallerConfig({
        OAUTH_TOKEN_URL: 'https://idp/oauth2/token',
        OAUTH_CLIENT_SECRET: 'sekrit-value',
      }),
    ).toThrow(/^(?!.*sekrit-value).*OAUTH_CLIENT_ID is required/);
    expect(() => loadCallerConfig({ OAUTH_CLIENT_SECRET: 'sekrit-value' })).toThrow(
      /^(?!.*sekrit-value).*OAUTH_TOKEN_URL/,
    );
  });

  it('runs in production when the token endpoint and clients are configured', () => {
    const config = loadCallerConfig({
      NODE_ENV: 'production',
      OAUTH_TOKEN_URL: 'https://idp.example/oauth2/token',
      OAUTH_CLIENT_ID: 'abc',
      OAUTH_CLIENT_SECRET: 'xyz',
    });
    expect(config.tokenUrl).toBe('https://idp.example/oauth2/token');
    expect(config.read.clientId).toBe('abc');
  });
});
