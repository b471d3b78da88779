import { EmulatorConfigError, loadEmulatorConfig } from './emulator-config.js';

describe('loadEmulatorConfig', () => {
  it('has defaults for a bare environment', () => {
    expect(loadEmulatorConfig({}, '/repo')).toEqual({
      host: '127.0.0.1',
      port: 4000,
      poolFile: '/repo/libs/fleet-auth/pool.json',
      keysFile: undefined,
      issuerBase: undefined,
      admin: false,
    });
  });

  it('reads every variable, trimming a trailing slash off the issuer base', () => {
    const config = loadEmulatorConfig(
      {
        HOST: '0.0.0.0',
        PORT: '0',
        COGNITO_EMULATOR_POOL_FILE: 'p.json',
        COGNITO_EMULATOR_KEYS_FILE: '/tmp/k.json',
        COGNITO_EMULATOR_ISSUER_BASE: 'http://cognito:4000/',
        COGNITO_EMULATOR_ADMIN: 'true',
      },
      '/repo',
    );
    expect(config).toEqual({
      host: '0.0.0.0',
      port: 0,
      poolFile: '/repo/p.json',
      keysFile: '/tmp/k.json',
      issuerBase: 'http://cognito:4000',
      admin: true,
    });
  });

  it.each([
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: 'abc' }, 'PORT'],
    [{ COGNITO_EMULATOR_ADMIN: 'yes' }, 'COGNITO_EMULATOR_ADMIN'],
    [{ COGNITO_EMULATOR_ISSUER_BASE: 'ftp://x' }, 'COGNITO_EMULATOR_ISSUER_BASE'],
  ])('fails fast on %j, naming %s', (env, name) => {
    expect(() => loadEmulatorConfig(env)).toThrow(EmulatorConfigError);
    expect(() => loadEmulatorConfig(env)).toThrow(new RegExp(`${name}: `));
  });
});
