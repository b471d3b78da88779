import { readFile } from 'node:fs/promises';
import { EmulatorConfigError, type EmulatorConfig } from '../config/emulator-config.js';
import { devCaCertificate } from './dev-ca.js';
import { checkPair, type TlsPair } from './tls-pair.js';

/** The names every dev certificate covers: loopback, and the docker-compose service name. */
export const DEFAULT_TLS_NAMES = ['localhost', '127.0.0.1', '::1', 'cognito-emulator'];

/**
 * The certificate and key the emulator serves HTTPS with (Node's `https` options), or
 * undefined without COGNITO_EMULATOR_TLS. `extraNames`: the listen host and the issuer
 * base's host, so the certificate matches the URL in every token's `iss`.
 */
export async function httpsOptions(
  tls: EmulatorConfig['tls'],
  extraNames: readonly string[] = [],
): Promise<TlsPair | undefined> {
  if (!tls) return undefined;
  if (tls.kind === 'dev-ca') {
    const names = [...new Set([...DEFAULT_TLS_NAMES, ...extraNames])].filter(
      (n) => n !== '' && n !== '0.0.0.0' && n !== '::',
    );
    return devCaCertificate(tls.dir, names);
  }
  const read = (file: string, variable: string) =>
    readFile(file, 'utf8').catch((cause: unknown) => {
      throw new EmulatorConfigError(
        `Invalid cognito-emulator configuration: ${variable}: cannot read ${file}`,
        { cause },
      );
    });
  const [cert, key] = await Promise.all([
    read(tls.certFile, 'COGNITO_EMULATOR_TLS_CERT'),
    read(tls.keyFile, 'COGNITO_EMULATOR_TLS_KEY'),
  ]);
  checkPair(
    { cert, key },
    `COGNITO_EMULATOR_TLS_CERT (${tls.certFile})`,
    `COGNITO_EMULATOR_TLS_KEY (${tls.keyFile})`,
  );
  return { cert, key };
}
