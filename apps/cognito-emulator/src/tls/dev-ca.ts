import 'reflect-metadata';
import { randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { readIfExists, writePrivateFile } from '../files/private-file.js';
import { checkPair, type TlsPair } from './tls-pair.js';

// Node's crypto verifies X.509 but cannot issue it; @peculiar/x509 builds certificates on
// WebCrypto (native key generation and signing), so it runs on Node's own webcrypto.
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
/** Reissued when it would expire within this long. */
const RENEW_BEFORE_MS = 30 * DAY;

/** The dev CA's files in `dir`: `ca.pem` is what fleets trust (`NODE_EXTRA_CA_CERTS`). */
export function devCaFiles(dir: string) {
  return {
    caCert: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server-key.pem'),
  };
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f; // a positive INTEGER
  return bytes.toString('hex');
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0];
  return webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']) as Promise<CryptoKey>;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function createCa(): Promise<TlsPair> {
  const keys = await newKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=cognito-emulator local dev CA (DEV ONLY),O=nest-m2m-cognito',
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 3650 * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await keyPem(keys.privateKey) };
}

async function issueServerCert(ca: TlsPair, names: readonly string[]): Promise<TlsPair> {
  const caCert = new x509.X509Certificate(ca.cert);
  const keys = await newKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${names[0]}`,
    issuer: caCert.subject,
    notBefore: new Date(now - DAY),
    // Under the 398 days that clients such as browsers accept for a server certificate.
    notAfter: new Date(now + 397 * DAY),
    signingKey: await importKey(ca.key),
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((value) => ({ type: isIP(value) ? ('ip' as const) : ('dns' as const), value })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await keyPem(keys.privateKey) };
}

/** True when `pem` was issued by `caPem`, covers every name and is not about to expire. */
function stillGood(pem: string, caPem: string, names: readonly string[]): boolean {
  try {
    const cert = new X509Certificate(pem);
    const ca = new X509Certificate(caPem);
    return (
      cert.verify(ca.publicKey) &&
      Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_MS &&
      names.every((n) => (isIP(n) ? cert.checkIP(n) : cert.checkHost(n)) !== undefined)
    );
  } catch {
    return false;
  }
}

/**
 * The emulator's HTTPS certificate from its local dev CA in `dir`: the CA is created on
 * first use and kept (`ca.pem`, `ca-key.pem`), and a server certificate for `names`
 * (host names and IP addresses) is issued by it and kept too, reissued when a name is
 * missing or it nears expiry. Trust `ca.pem` once and every restart is trusted.
 */
export async function devCaCertificate(dir: string, names: readonly string[]): Promise<TlsPair> {
  const files = devCaFiles(dir);
  const [caCert, caKey] = await Promise.all([
    readIfExists(files.caCert),
    readIfExists(files.caKey),
  ]);
  let ca: TlsPair;
  if (caCert !== undefined && caKey !== undefined) {
    ca = { cert: caCert, key: caKey };
    const variable = 'COGNITO_EMULATOR_TLS_DIR';
    checkPair(
      ca,
      { variable, label: `${variable}: ${files.caCert}` },
      { variable, label: files.caKey },
    );
  } else {
    ca = await createCa();
    await writePrivateFile(files.caKey, ca.key);
    await writePrivateFile(files.caCert, ca.cert, 0o644);
  }
  const [cert, key] = await Promise.all([readIfExists(files.cert), readIfExists(files.key)]);
  if (cert !== undefined && key !== undefined && stillGood(cert, ca.cert, names)) {
    return { cert, key };
  }
  const issued = await issueServerCert(ca, names);
  await writePrivateFile(files.key, issued.key);
  await writePrivateFile(files.cert, issued.cert, 0o644);
  return issued;
}
