import { readFile } from 'node:fs/promises';
import { configError, loadEmulatorConfig, type EmulatorConfig } from '../config/emulator-config.js';
import { awsIssuerHost, awsIssuerHostOf } from '../tokens/issuer-forms.js';
import { devCaCertificate, devCaFiles } from './dev-ca.js';
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
      throw configError(variable, `cannot read ${file}`, cause);
    });
  const [cert, key] = await Promise.all([
    read(tls.certFile, 'COGNITO_EMULATOR_TLS_CERT'),
    read(tls.keyFile, 'COGNITO_EMULATOR_TLS_KEY'),
  ]);
  const labelled = (variable: string, file: string) => ({
    variable,
    label: `${variable} (${file})`,
  });
  checkPair(
    { cert, key },
    labelled('COGNITO_EMULATOR_TLS_CERT', tls.certFile),
    labelled('COGNITO_EMULATOR_TLS_KEY', tls.keyFile),
  );
  return { cert, key };
}

/**
 * The certificate and key of the emulator `config` describes: {@link httpsOptions} for its
 * own URLs (the listen host, and the host of `COGNITO_EMULATOR_ISSUER_BASE`; when that is
 * one of Cognito's issuer hosts, both of them, as the pool's issuer type may change).
 */
export function serverHttpsOptions(
  config: Pick<EmulatorConfig, 'tls' | 'host' | 'issuerBase'>,
): Promise<TlsPair | undefined> {
  const issuerHost = config.issuerBase ? new URL(config.issuerBase).hostname : '';
  const aws = awsIssuerHostOf(issuerHost);
  const issuerHosts = aws
    ? [awsIssuerHost('ORIGINAL', aws.region), awsIssuerHost('UPDATED', aws.region)]
    : [issuerHost.replace(/^\[|\]$/g, '')];
  return httpsOptions(config.tls, [config.host, ...issuerHosts]);
}

/**
 * For what starts the emulator beside processes that must trust it (`npm start`, the demo,
 * the cross-service e2e): with `COGNITO_EMULATOR_TLS=true` and the dev CA, makes the CA and
 * the emulator's certificate now, exactly as the emulator's own start with the same `env`
 * would (which then finds and keeps them), and returns the CA file to trust. Processes
 * started before the emulator is ready can so be given `NODE_EXTRA_CA_CERTS`, which Node
 * reads once, at process start. Undefined without TLS or with your own certificate (trust
 * whatever issued it). Fails like the emulator's start would, naming the variable.
 *
 * @example
 * ```ts
 * const ca = await prepareDevCa({ COGNITO_EMULATOR_TLS: 'true', COGNITO_EMULATOR_TLS_DIR: dir });
 * // start the others with NODE_EXTRA_CA_CERTS=ca, then the emulator with the same env
 * ```
 */
export async function prepareDevCa(
  env: NodeJS.ProcessEnv,
  cwd = process.cwd(),
): Promise<string | undefined> {
  const config = loadEmulatorConfig(env, cwd);
  if (config.tls?.kind !== 'dev-ca') return undefined;
  await serverHttpsOptions(config);
  return devCaFiles(config.tls.dir).caCert;
}
