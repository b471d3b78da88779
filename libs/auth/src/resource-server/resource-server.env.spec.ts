import { EnvConfigError } from '../shared/errors.js';
import { resourceServerOptionsFromEnv } from './resource-server.env.js';

const DEV_ISSUER = 'http://127.0.0.1:4000/us-east-1_Weather01';
const load = (env: NodeJS.ProcessEnv) =>
  resourceServerOptionsFromEnv(env, { devIssuer: DEV_ISSUER });

describe('resourceServerOptionsFromEnv', () => {
  it('trusts the development issuer when nothing is configured outside production', () => {
    for (const NODE_ENV of [undefined, 'development', 'test']) {
      expect(load({ NODE_ENV }).issuer).toBe(DEV_ISSUER);
    }
  });

  it('fails in production without an issuer, naming AUTH_ISSUER', () => {
    expect(() => load({ NODE_ENV: 'production' })).toThrow(EnvConfigError);
    expect(() => load({ NODE_ENV: 'production', AUTH_ISSUER: ' ' })).toThrow(
      /AUTH_ISSUER .*required when NODE_ENV=production/,
    );
    expect(() => resourceServerOptionsFromEnv({})).toThrow(
      expect.objectContaining({ code: 'invalid_config', variable: 'AUTH_ISSUER' }),
    );
  });

  it('accepts production with AUTH_ISSUER or a Cognito pool', () => {
    expect(load({ NODE_ENV: 'production', AUTH_ISSUER: 'https://idp.example/pool' }).issuer).toBe(
      'https://idp.example/pool',
    );
    const cognito = load({
      NODE_ENV: 'production',
      COGNITO_REGION: 'eu-west-1',
      COGNITO_USER_POOL_ID: 'eu-west-1_AbC123',
    });
    expect(cognito).toMatchObject({ region: 'eu-west-1', userPoolId: 'eu-west-1_AbC123' });
    expect(cognito.issuer).toBeUndefined();
  });

  it('reads several issuers from AUTH_ISSUER, and the issuer types of a Cognito pool', () => {
    expect(load({ AUTH_ISSUER: 'https://a.example/p1, https://b.example/p2' }).issuer).toEqual([
      'https://a.example/p1',
      'https://b.example/p2',
    ]);
    const pool = { COGNITO_REGION: 'eu-west-1', COGNITO_USER_POOL_ID: 'eu-west-1_AbC123' };
    expect(load(pool).issuerTypes).toBeUndefined();
    expect(load({ ...pool, COGNITO_ISSUER_TYPES: 'UPDATED' }).issuerTypes).toEqual(['UPDATED']);
  });

  it('reads key-set timings in seconds, the staleness bound included, and the allow-list', () => {
    expect(
      resourceServerOptionsFromEnv(
        {
          AUTH_ISSUER: 'https://idp.example/pool',
          AUTH_JWKS_CACHE_MAX_AGE_SECONDS: '300',
          AUTH_JWKS_MAX_STALE_SECONDS: '1800',
          AUTH_JWKS_PENALTY_SECONDS: '10',
          AUTH_CLOCK_TOLERANCE_SECONDS: '2',
          AUTH_CLIENT_IDS: 'weather-caller, weather-admin,',
        },
        { realm: 'weather-api' },
      ),
    ).toMatchObject({
      realm: 'weather-api',
      jwksCacheMaxAgeMs: 300_000,
      jwksMaxStaleMs: 1_800_000,
      jwksPenaltyWindowMs: 10_000,
      clockToleranceSeconds: 2,
      clientIds: ['weather-caller', 'weather-admin'],
    });
  });

  it.each([
    [{ AUTH_JWKS_MAX_STALE_SECONDS: '-1' }, /AUTH_JWKS_MAX_STALE_SECONDS/],
    [{ AUTH_JWKS_PENALTY_SECONDS: 'ten' }, /AUTH_JWKS_PENALTY_SECONDS must be a number/],
    [{ AUTH_ISSUER: 'nope' }, /AUTH_ISSUER must be a URL/],
    [{ AUTH_JWKS_URI: 'ftp://x/jwks' }, /AUTH_JWKS_URI must be a URL/],
    [{ COGNITO_REGION: 'eu-west-1' }, /COGNITO_USER_POOL_ID is required/],
    [{ COGNITO_USER_POOL_ID: 'eu-west-1_AbC123' }, /COGNITO_REGION is required/],
    [{ AUTH_ISSUER: 'https://a.example/p1,ftp://b.example/p2' }, /AUTH_ISSUER must be a URL/],
    [
      {
        COGNITO_REGION: 'eu-west-1',
        COGNITO_USER_POOL_ID: 'eu-west-1_A1',
        COGNITO_ISSUER_TYPES: 'NEW',
      },
      /COGNITO_ISSUER_TYPES must list ORIGINAL and\/or UPDATED/,
    ],
    [
      { AUTH_ISSUER: 'https://a.example/p1', COGNITO_ISSUER_TYPES: 'UPDATED' },
      /COGNITO_ISSUER_TYPES applies to COGNITO_REGION/,
    ],
  ])('fails fast on %o, naming the variable', (env, message) => {
    expect(() => load(env)).toThrow(EnvConfigError);
    expect(() => load(env)).toThrow(message);
  });
});
