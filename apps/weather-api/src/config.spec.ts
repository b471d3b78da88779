import { DEV_EMULATOR_ISSUER, loadWeatherApiConfig, WeatherApiConfigError } from './config.js';

describe('loadWeatherApiConfig', () => {
  it('trusts the local emulator when nothing is configured outside production', () => {
    for (const NODE_ENV of [undefined, 'development', 'test']) {
      const config = loadWeatherApiConfig({ NODE_ENV });
      expect(config.usesDevIssuer).toBe(true);
      expect(config.auth.issuer).toBe(DEV_EMULATOR_ISSUER);
      expect(config.port).toBe(3000);
    }
  });

  it('fails in production without an issuer, naming AUTH_ISSUER', () => {
    expect(() => loadWeatherApiConfig({ NODE_ENV: 'production' })).toThrow(WeatherApiConfigError);
    expect(() => loadWeatherApiConfig({ NODE_ENV: 'production', AUTH_ISSUER: ' ' })).toThrow(
      /AUTH_ISSUER .*required when NODE_ENV=production/,
    );
  });

  it('accepts production with AUTH_ISSUER or a Cognito pool', () => {
    expect(
      loadWeatherApiConfig({ NODE_ENV: 'production', AUTH_ISSUER: 'https://idp.example/pool' }).auth
        .issuer,
    ).toBe('https://idp.example/pool');
    const cognito = loadWeatherApiConfig({
      NODE_ENV: 'production',
      COGNITO_REGION: 'eu-west-1',
      COGNITO_USER_POOL_ID: 'eu-west-1_AbC123',
    });
    expect(cognito.usesDevIssuer).toBe(false);
    expect(cognito.auth).toMatchObject({ region: 'eu-west-1', userPoolId: 'eu-west-1_AbC123' });
  });

  it('reads key-set timings in seconds, the staleness bound included', () => {
    const config = loadWeatherApiConfig({
      AUTH_JWKS_CACHE_MAX_AGE_SECONDS: '300',
      AUTH_JWKS_MAX_STALE_SECONDS: '1800',
      AUTH_JWKS_PENALTY_SECONDS: '10',
      AUTH_CLIENT_IDS: 'weather-caller, weather-admin,',
    });
    expect(config.auth).toMatchObject({
      jwksCacheMaxAgeMs: 300_000,
      jwksMaxStaleMs: 1_800_000,
      jwksPenaltyWindowMs: 10_000,
      clientIds: ['weather-caller', 'weather-admin'],
    });
  });

  it.each([
    [{ AUTH_JWKS_MAX_STALE_SECONDS: '-1' }, /AUTH_JWKS_MAX_STALE_SECONDS/],
    [{ AUTH_ISSUER: 'nope' }, /AUTH_ISSUER must be a URL/],
    [{ COGNITO_REGION: 'eu-west-1' }, /COGNITO_USER_POOL_ID is required/],
  ])('fails fast on %o, naming the variable', (env, message) => {
    expect(() => loadWeatherApiConfig(env)).toThrow(message);
  });
});
