import { EnvConfigError } from '@nest-m2m-cognito/auth/observability';
import { loadEmulatorConfig } from './emulator-config.js';

describe('loadEmulatorConfig', () => {
  it('has defaults for a bare environment', () => {
    expect(loadEmulatorConfig({}, '/repo')).toEqual({
      host: '127.0.0.1',
      port: 4000,
      poolFile: '/repo/libs/fleet-auth/pool.json',
      keysFile: undefined,
      issuerBase: undefined,
      admin: false,
      stateFile: undefined,
      tls: undefined,
      tokenRps: undefined,
    });
  });

  it('reads every variable, trimming a trailing slash off the issuer base', () => {
    const config = loadEmulatorConfig(
      {
        HOST: '0.0.0.0',
        PORT: '0',
        COGNITO_EMULATOR_POOL_FILE: 'p.json',
        COGNITO_EMULATOR_KEYS_FILE: '/tmp/k.json',
        COGNITO_EMULATOR_ADMIN: 'true',
        COGNITO_EMULATOR_STATE_FILE: 'state.json',
        COGNITO_EMULATOR_TLS: 'true',
        COGNITO_EMULATOR_ISSUER_BASE: 'https://cognito:4000/',
        COGNITO_EMULATOR_TOKEN_RPS: '20',
      },
      '/repo',
    );
    expect(config).toEqual({
      host: '0.0.0.0',
      port: 0,
      poolFile: '/repo/p.json',
      keysFile: '/tmp/k.json',
      issuerBase: 'https://cognito:4000',
      admin: true,
      stateFile: '/repo/state.json',
      // Beside the keys file by default.
      tls: { kind: 'dev-ca', dir: '/tmp' },
      tokenRps: 20,
    });
  });

  it.each([
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: 'abc' }, 'PORT'],
    [{ COGNITO_EMULATOR_ADMIN: 'yes' }, 'COGNITO_EMULATOR_ADMIN'],
    [{ COGNITO_EMULATOR_ISSUER_BASE: 'ftp://x' }, 'COGNITO_EMULATOR_ISSUER_BASE'],
    [{ COGNITO_EMULATOR_TOKEN_RPS: '0' }, 'COGNITO_EMULATOR_TOKEN_RPS'],
    [{ COGNITO_EMULATOR_TOKEN_RPS: '2.5' }, 'COGNITO_EMULATOR_TOKEN_RPS'],
    [{ COGNITO_EMULATOR_TLS: 'true' }, 'COGNITO_EMULATOR_TLS_DIR'],
    [
      { COGNITO_EMULATOR_TLS: 'true', COGNITO_EMULATOR_TLS_CERT: 'c.pem' },
      'COGNITO_EMULATOR_TLS_KEY',
    ],
    [
      {
        COGNITO_EMULATOR_TLS: 'true',
        COGNITO_EMULATOR_TLS_DIR: '/t',
        COGNITO_EMULATOR_ISSUER_BASE: 'http://x',
      },
      'COGNITO_EMULATOR_ISSUER_BASE',
    ],
  ])('fails fast on %j, naming %s', (env, name) => {
    expect(() => loadEmulatorConfig(env)).toThrow(EnvConfigError);
    expect(() => loadEmulatorConfig(env)).toThrow(new RegExp(`${name}: `));
    expect(() => loadEmulatorConfig(env)).toThrow(
      expect.objectContaining({ code: 'invalid_config', variable: name }),
    );
  });

  it("takes Cognito's issuer hosts as a base only without a path", () => {
    expect(
      loadEmulatorConfig({
        COGNITO_EMULATOR_ISSUER_BASE: 'https://issuer-cognito-idp.eu-west-1.amazonaws.com:4443/',
      }).issuerBase,
    ).toBe('https://issuer-cognito-idp.eu-west-1.amazonaws.com:4443');
    expect(() =>
      loadEmulatorConfig({
        COGNITO_EMULATOR_ISSUER_BASE: 'https://cognito-idp.eu-west-1.amazonaws.com/idp',
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        variable: 'COGNITO_EMULATOR_ISSUER_BASE',
        message: expect.stringContaining('COGNITO_EMULATOR_ISSUER_BASE: must have no path'),
      }),
    );
  });

  it("checks numbers with the library's numeric-option check, in its words", () => {
    expect(() => loadEmulatorConfig({ PORT: '70000' })).toThrow(
      'Invalid configuration: PORT: must be an integer (0-65535)',
    );
    expect(() => loadEmulatorConfig({ COGNITO_EMULATOR_TOKEN_RPS: '2.5' })).toThrow(
      'Invalid configuration: COGNITO_EMULATOR_TOKEN_RPS: must be an integer (1-999999)',
    );
    expect(loadEmulatorConfig({ PORT: ' 0 ', COGNITO_EMULATOR_TOKEN_RPS: '' })).toMatchObject({
      port: 0,
      tokenRps: undefined,
    });
  });
});
