import { EnvConfigError } from '@nest-m2m-cognito/auth/observability';
import { createPrivateKey, X509Certificate } from 'node:crypto';

/** A certificate and its private key, PEM. */
export interface TlsPair {
  cert: string;
  key: string;
}

/** One file of a pair: the variable it comes from, and how messages name it (variable first). */
export interface PairFile {
  variable: string;
  label: string;
}

/**
 * Fails start-up, naming the variable and the file, unless `pair` is a PEM certificate and
 * the PEM private key that belongs to it: otherwise TLS would fail later, on every
 * connection, with an OpenSSL error that names nothing.
 */
export function checkPair(pair: TlsPair, certFile: PairFile, keyFile: PairFile): void {
  const parse = <T>(make: () => T, file: PairFile, what: string): T => {
    try {
      return make();
    } catch (cause) {
      throw new EnvConfigError(file.variable, `${file.label}: not ${what}`, { cause });
    }
  };
  const certificate = parse(() => new X509Certificate(pair.cert), certFile, 'a PEM certificate');
  const key = parse(() => createPrivateKey(pair.key), keyFile, 'a PEM private key');
  if (!certificate.checkPrivateKey(key)) {
    throw new EnvConfigError(
      keyFile.variable,
      `${keyFile.label}: not the private key of ${certFile.label}`,
    );
  }
}
