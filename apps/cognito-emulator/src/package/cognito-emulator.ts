import {
  clientSecretsOf,
  loadPool,
  parsePool,
  type Pool,
  type PoolDocument,
} from '@app/fleet-auth';
import { numberOption } from '@nest-m2m-cognito/auth/observability';
import { resolve } from 'node:path';
import { startEmulator } from '../bootstrap.js';
import { configError } from '../config/emulator-config.js';

/** Options of {@link startCognitoEmulator}. */
export interface CognitoEmulatorOptions {
  /**
   * The user pool: a pool file's path (relative to the working directory), or the pool
   * itself, in the format `cognito-m2m-emulator init` writes (`pool.schema.json`). The
   * pre token generation module a pool names (`userPool.lambdaConfig.preTokenGenerationConfig`)
   * is relative to its file; for a pool object, to the working directory (or absolute).
   */
  pool: string | PoolDocument;
  /** The port; default 0, an ephemeral one (read it from `url`). */
  port?: number;
  /** The listen address; default `127.0.0.1`. */
  host?: string;
  /**
   * The emulator's other variables, as the command reads them (`COGNITO_EMULATOR_KEYS_FILE`,
   * `COGNITO_EMULATOR_TLS`, `COGNITO_EMULATOR_ADMIN`, ...). `process.env` is not read.
   * `LOG_LEVEL` defaults to `warn` here, so a test run shows only what went wrong.
   */
  env?: Record<string, string | undefined>;
}

/** An app client of the pool, with what a test needs to get its tokens. */
export interface EmulatorClient {
  clientId: string;
  /** Its newest secret; null for a public client. DEV-ONLY: the pool's own value. */
  clientSecret: string | null;
  /** The scopes it may ask for; a token request without `scope` gets them all. */
  scopes: readonly string[];
}

/** A running emulator: where its endpoints are, the pool's clients, and how to stop it. */
export interface CognitoEmulator {
  /** The base URL it listens on, e.g. `http://127.0.0.1:41234`. */
  url: string;
  userPoolId: string;
  /** `{url}/{userPoolId}`: the `iss` of its tokens, what a resource server verifies against. */
  issuer: string;
  /** `{url}/oauth2/token`: where clients get client-credentials tokens. */
  tokenUrl: string;
  /** `{issuer}/.well-known/jwks.json`: the keys its tokens are signed with. */
  jwksUrl: string;
  clients: readonly EmulatorClient[];
  /** The client `clientId` of the pool; throws when the pool has none by that id. */
  client(clientId: string): EmulatorClient;
  /** Closes the server; resolves once it is closed. */
  stop(): Promise<void>;
}

/** {@link CognitoEmulator.client} was asked for a client the pool does not have. */
export class UnknownClientError extends Error {
  readonly code = 'unknown_client';
  constructor(message: string) {
    super(message);
    this.name = 'UnknownClientError';
  }
}

function fail(name: string, why: string): never {
  throw configError(name, why);
}

/**
 * Starts a local Cognito (the token endpoint, JWKS, discovery and the AWS JSON surface)
 * inside the calling process, for a consumer's tests: on an ephemeral port unless one is
 * given, serving the given pool, with Cognito's token format and errors. Fails with a
 * message naming the bad field or variable.
 *
 * @example
 * ```ts
 * const cognito = await startCognitoEmulator({ pool: 'pool.json' });
 * const { clientId, clientSecret } = cognito.client('my-service');
 * // POST cognito.tokenUrl (grant_type=client_credentials), verify with cognito.jwksUrl
 * await cognito.stop();
 * ```
 */
export async function startCognitoEmulator(
  options: CognitoEmulatorOptions,
): Promise<CognitoEmulator> {
  const port = numberOption('port', options.port, 0, { max: 65_535, integer: true }, fail);
  // A pool object's trigger module is relative to the working directory, as a pool file there.
  const file = resolve(typeof options.pool === 'string' ? options.pool : 'pool.json');
  const pool: Pool =
    typeof options.pool === 'string'
      ? await loadPool(file, 'pool')
      : parsePool(options.pool, 'pool');
  const started = await startEmulator(
    {
      LOG_LEVEL: 'warn',
      ...options.env,
      PORT: String(port),
      ...(options.host !== undefined && { HOST: options.host }),
    },
    { pool: { pool, file } },
  );
  const clients: readonly EmulatorClient[] = Object.freeze(
    pool.clients.map((c) =>
      Object.freeze({
        clientId: c.clientId,
        // The newest of its secrets where the pool lists two (oldest first, as Cognito keeps them).
        clientSecret: clientSecretsOf(c).at(-1) ?? null,
        scopes: Object.freeze([...c.allowedOAuthScopes]),
      }),
    ),
  );
  return {
    url: started.url,
    userPoolId: pool.userPoolId,
    issuer: started.issuer,
    tokenUrl: started.tokenUrl,
    jwksUrl: `${started.issuer}/.well-known/jwks.json`,
    clients,
    client(clientId) {
      const found = clients.find((c) => c.clientId === clientId);
      if (!found) {
        throw new UnknownClientError(
          `the pool has no client "${clientId}" (it has ${clients.map((c) => c.clientId).join(', ')})`,
        );
      }
      return found;
    },
    stop: () => started.close(),
  };
}
