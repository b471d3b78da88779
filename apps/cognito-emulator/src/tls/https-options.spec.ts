import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmulatorConfigError } from '../config/emulator-config.js';
import { devCaFiles } from './dev-ca.js';
import { httpsOptions } from './https-options.js';

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
    await expect(started).rejects.toBeInstanceOf(EmulatorConfigError);
    await expect(started).rejects.toThrow(/COGNITO_EMULATOR_TLS_DIR: .*ca\.pem/);
  });
});
