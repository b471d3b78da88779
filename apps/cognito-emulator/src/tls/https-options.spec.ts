import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvConfigError } from '@nest-m2m-cognito/auth/observability';
import { loadEmulatorConfig } from '../config/emulator-config.js';
import { devCaFiles } from './dev-ca.js';
import { httpsOptions, prepareDevCa, serverHttpsOptions } from './https-options.js';

describe('httpsOptions', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emu-tls-'));
    await httpsOptions({ kind: 'dev-ca', dir });
  });
  const files = () => devCaFiles(dir);
  const own = async (cert: string, key: string) => {
    const own = await mkdtemp(join(tmpdir(), 'emu-tls-own-'));
    const certFile = join(own, 'cert.pem');
    const keyFile = join(own, 'key.pem');
    await writeFile(certFile, cert);
    await writeFile(keyFile, key);
    return httpsOptions({ kind: 'files', certFile, keyFile });
  };

  it('serves your own certificate and key when they belong together', async () => {
    const cert = await readFile(files().cert, 'utf8');
    const key = await readFile(files().key, 'utf8');
    expect(await own(cert, key)).toEqual({ cert, key });
  });

  it('refuses at start-up, naming the variable, what TLS would refuse per connection', async () => {
    const cert = await readFile(files().cert, 'utf8');
    const caKey = await readFile(files().caKey, 'utf8');
    await expect(own('not a certificate', caKey)).rejects.toThrow(
      /COGNITO_EMULATOR_TLS_CERT \(.*cert\.pem\): not a PEM certificate/,
    );
    await expect(own(cert, 'not a key')).rejects.toThrow(
      /COGNITO_EMULATOR_TLS_KEY \(.*key\.pem\): not a PEM private key/,
    );
    await expect(own(cert, caKey)).rejects.toThrow(
      /not the private key of COGNITO_EMULATOR_TLS_CERT/,
    );
  });

  it('refuses a dev CA whose files do not belong together instead of issuing from them', async () => {
    const broken = await mkdtemp(join(tmpdir(), 'emu-tls-broken-'));
    await httpsOptions({ kind: 'dev-ca', dir: broken });
    const other = await readFile(files().caKey, 'utf8');
    await writeFile(devCaFiles(broken).caKey, other);
    const started = httpsOptions({ kind: 'dev-ca', dir: broken });
    await expect(started).rejects.toBeInstanceOf(EnvConfigError);
    await expect(started).rejects.toThrow(/COGNITO_EMULATOR_TLS_DIR: .*ca\.pem/);
  });
});

describe('prepareDevCa', () => {
  it('makes the CA and the certificate the emulator then serves, before it starts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emu-tls-prep-'));
    const env = {
      COGNITO_EMULATOR_TLS: 'true',
      COGNITO_EMULATOR_TLS_DIR: dir,
      COGNITO_EMULATOR_ISSUER_BASE: 'https://cognito-emulator:4000',
    };
    const caFile = await prepareDevCa(env);
    expect(caFile).toBe(devCaFiles(dir).caCert);
    const ca = await readFile(caFile!, 'utf8');

    // What the emulator's start with the same environment serves: issued by that CA, not
    // reissued, so a process given NODE_EXTRA_CA_CERTS before the emulator started trusts it.
    const served = await serverHttpsOptions(loadEmulatorConfig(env));
    expect(served?.cert).toBe(await readFile(devCaFiles(dir).cert, 'utf8'));
    const cert = new X509Certificate(served!.cert);
    expect(cert.verify(new X509Certificate(ca).publicKey)).toBe(true);
    expect(cert.checkHost('cognito-emulator')).toBe('cognito-emulator');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(await readFile(caFile!, 'utf8')).toBe(ca);
  });

  it('has nothing to trust without TLS or with your own certificate', async () => {
    expect(await prepareDevCa({})).toBeUndefined();
    expect(
      await prepareDevCa({
        COGNITO_EMULATOR_TLS: 'true',
        COGNITO_EMULATOR_TLS_CERT: 'cert.pem',
        COGNITO_EMULATOR_TLS_KEY: 'key.pem',
      }),
    ).toBeUndefined();
  });

  it('fails as the emulator would, naming the variable', async () => {
    await expect(prepareDevCa({ COGNITO_EMULATOR_TLS: 'yes' })).rejects.toThrow(
      /COGNITO_EMULATOR_TLS/,
    );
    await expect(prepareDevCa({ COGNITO_EMULATOR_TLS: 'true' })).rejects.toThrow(
      /COGNITO_EMULATOR_TLS_DIR: required/,
    );
  });
});
