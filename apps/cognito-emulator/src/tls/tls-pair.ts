import { createPrivateKey, X509Certificate } from 'node:crypto';
import { EmulatorConfigError } from '../config/emulator-config.js';

/** A certificate and its private key, PEM. */
export interface TlsPair {
  cert: string;
  key: string;
}

/**
 * Fails start-up, naming the files, unless `pair` is a PEM certificate and the PEM private
 * key that belongs to it: otherwise TLS would fail later, on every connection, with an
 * OpenSSL error that names nothing.
 */
export function checkPair(pair: TlsPair, certName: string, keyName: string): void {
  const parse = <T>(make: () => T, message: string): T => {
    try {
      return make();
    } catch (cause) {
      throw new EmulatorConfigError(`Invalid cognito-emulator configuration: ${message}`, {
        cause,
      });
    }
  };
  const certificate = parse(
    () => new X509Certificate(pair.cert),
    `${certName}: not a PEM certificate`,
  );
  const key = parse(() => createPrivateKey(pair.key), `${keyName}: not a PEM private key`);
  if (!certificate.checkPrivateKey(key)) {
    throw new EmulatorConfigError(
      `Invalid cognito-emulator configuration: ${keyName}: not the private key of ${certName}`,
    );
  }
}
