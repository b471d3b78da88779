import { cognitoApiEndpoint, cognitoTokenUrl } from '../cognito/cognito-urls.js';
import { EnvReader } from '../shared/env.js';
import { canonicalMetadata, type ClientMetadata } from './client-metadata.js';
import {
  type ClientSecretSource,
  FileClientSecret,
  SecretsManagerClientSecret,
} from './client-secret.js';
import { ClientSecretUnavailableError } from './client.errors.js';
import type { M2MClientModuleOptions } from './client.module-definition.js';
import type { ClientAuthMethod } from './token-endpoint.js';
import type { TokenTransportKind } from './token-request.js';

const AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];
const TRANSPORTS: readonly TokenTransportKind[] = ['token-endpoint', 'api'];
const TOKEN_ENDPOINT = 'OAUTH_TOKEN_URL (or COGNITO_DOMAIN + COGNITO_REGION)';
const API_ENDPOINT = 'OAUTH_API_ENDPOINT (or COGNITO_REGION) for the api transport';

/** What {@link m2mClientOptionsFromEnv} takes besides the environment and the name. */
export interface M2MClientEnvOptions {
  /** Prefix of the client's own variables. Default `OAUTH_<NAME>` (`OAUTH_INVENTORY_API`). */
  prefix?: string;
  /**
   * The API the client calls: it names it in error answers (`dependency`), and
   * `<DOWNSTREAM>_URL`, `<DOWNSTREAM>_TIMEOUT_MS` and `<DOWNSTREAM>_MAX_RESPONSE_BYTES` give
   * its base URL, the deadline of a call and the largest answer accepted.
   * Default: the client's name.
   */
  downstream?: string;
  /** The base URL when `<DOWNSTREAM>_URL` is unset. Without it, the variable is required. */
  defaultBaseURL?: string;
  /**
   * A development client (the local emulator's token URL and a dev-only client), used when
   * no token endpoint and none of this client's credentials are configured, unless
   * `NODE_ENV=production`. Configured credentials are never sent to it.
   */
  dev?: { tokenUrl: string; clientId: string; clientSecret: string; scopes?: readonly string[] };
  /**
   * Credentials used when a token endpoint is configured but none of this client's own
   * (a second client of an app that may share the first one's); scopes still come from
   * `<PREFIX>_SCOPES`.
   */
  fallback?: { clientId: string; clientSecret: string | ClientSecretSource };
}

/** `inventory-api` → `INVENTORY_API`. */
function envName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/** `OAUTH_<PREFIX>_CLIENT_METADATA`: a JSON object of strings, checked, or `undefined`. */
function metadataFromEnv(read: EnvReader, variable: string): ClientMetadata | undefined {
  const text = read.text(variable);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    read.fail(variable, `${variable} must be a JSON object of string values`);
  }
  return canonicalMetadata(parsed, (why) => read.fail(variable, `${variable} ${why}`));
}

/**
 * The client's secret from the one of its three variables (`_CLIENT_SECRET`, `_FILE`, `_ARN`,
 * in that order) that is set (two are a start-up error naming both): the value itself, a
 * file read again when it changes, or a Secrets Manager secret read again at an interval.
 * `undefined` when none is set.
 */
function secretFromEnv(
  read: EnvReader,
  [value, file, arn]: readonly string[],
  clientId: string | undefined,
): { variable: string; secret: string | ClientSecretSource } | undefined {
  const set = [value, file, arn].filter((v) => read.text(v) !== undefined);
  if (set.length > 1) {
    read.fail(set[1], `${set.join(' and ')} are both set: give the client secret one way`);
  }
  const [variable] = set;
  if (variable === undefined) return undefined;
  const text = read.text(variable)!;
  const refreshMs = read.int('OAUTH_SECRET_REFRESH_MS', 1_000, 86_400_000);
  if (variable === value) return { variable, secret: text };
  if (variable === file) {
    try {
      return {
        variable,
        secret: new FileClientSecret(text, { clientId, checkIntervalMs: refreshMs }),
      };
    } catch (error) {
      const reason = error instanceof ClientSecretUnavailableError ? error.reason : 'unreadable';
      read.fail(variable, `${variable}: the file cannot serve as the client secret (${reason})`);
    }
  }
  try {
    return {
      variable,
      secret: new SecretsManagerClientSecret(text, { clientId, refreshIntervalMs: refreshMs }),
    };
  } catch {
    read.fail(variable, `${variable} must be the ARN of a Secrets Manager secret`);
  }
}

/**
 * The options of the M2M client `name` (its registration name and `dependency` label) from
 * environment variables, so a new client needs no configuration code. For `inventory-api`:
 *
 * | variable | option | default |
 * | --- | --- | --- |
 * | `OAUTH_INVENTORY_API_TRANSPORT`, else `OAUTH_TRANSPORT` | `transport`: `token-endpoint` or `api` | `token-endpoint` |
 * | `OAUTH_TOKEN_URL`, or `COGNITO_DOMAIN` (+ `COGNITO_REGION` for a prefix) | `tokenUrl` (every client on the token endpoint) | `dev.tokenUrl` |
 * | `OAUTH_INVENTORY_API_API_ENDPOINT`, else `OAUTH_API_ENDPOINT`, else from `COGNITO_REGION` | `apiEndpoint` (the `api` transport) | required |
 * | `OAUTH_INVENTORY_API_CLIENT_ID` | `clientId` | `dev`, `fallback` |
 * | `OAUTH_INVENTORY_API_CLIENT_SECRET`, or `_CLIENT_SECRET_FILE` (a path), or `_CLIENT_SECRET_ARN` | `clientSecret`: the value, a `FileClientSecret`, a `SecretsManagerClientSecret` | `dev`, `fallback` |
 * | `OAUTH_SECRET_REFRESH_MS` | how often a secret file is checked / a Secrets Manager secret read again (every client) | 1000 / 60000 |
 * | `OAUTH_INVENTORY_API_SCOPES` (space-separated) | `scopes` | every scope the client may have |
 * | `OAUTH_INVENTORY_API_CLIENT_METADATA` (a JSON object of strings) | `clientMetadata` | none |
 * | `OAUTH_INVENTORY_API_AUTH_METHOD`, else `OAUTH_AUTH_METHOD` | `authMethod` | `client_secret_basic` |
 * | `INVENTORY_API_URL` | `baseURL` | `defaultBaseURL` |
 * | `INVENTORY_API_TIMEOUT_MS` | `requestTimeoutMs` (a total deadline) | 10000 |
 * | `INVENTORY_API_MAX_RESPONSE_BYTES` | `maxResponseBytes` | 4194304 |
 * | `OAUTH_TOKEN_TIMEOUT_MS` | `tokenTimeoutMs` (every client) | 5000 |
 * | `OAUTH_RETRY_MAX_ATTEMPTS` / `OAUTH_RETRY_MAX_TOTAL_MS` | `retry` (every client) | 4 / 10000 |
 * | `OAUTH_INVENTORY_API_REFRESH_AHEAD` (fraction of the lifetime, (0, 1]) | `refreshAhead` | 0.75 |
 * | `OAUTH_REJECTION_COOLDOWN_MS` | `rejectionCooldownMs` (every client) | 30000 |
 *
 * A secret file is read now: missing, unreadable, empty or over 64 KiB, start-up stops.
 * Throws an `EnvConfigError` naming the first bad or missing variable, never a value.
 *
 * @example
 * ```ts
 * M2MClientModule.register(m2mClientOptionsFromEnv(process.env, 'inventory-api'));
 * // inject: @InjectM2MHttpService('inventory-api') http: HttpService
 * ```
 */
export function m2mClientOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  options: M2MClientEnvOptions = {},
): M2MClientModuleOptions & { name: string } {
  const read: EnvReader = new EnvReader(env);
  const prefix = options.prefix ?? `OAUTH_${envName(name)}`;
  const downstream = envName(options.downstream ?? name);
  const idVar = `${prefix}_CLIENT_ID`;
  const secretVars = ['', '_FILE', '_ARN'].map((tail) => `${prefix}_CLIENT_SECRET${tail}`);
  const transport =
    read.oneOf(`${prefix}_TRANSPORT`, TRANSPORTS) ??
    read.oneOf('OAUTH_TRANSPORT', TRANSPORTS) ??
    'token-endpoint';
  const api = transport === 'api';
  const region = read.text('COGNITO_REGION');
  let where: string | undefined;
  if (api) {
    where = read.url(`${prefix}_API_ENDPOINT`) ?? read.url('OAUTH_API_ENDPOINT');
    if (!where && region) {
      try {
        where = cognitoApiEndpoint(region);
      } catch (error) {
        read.fail('COGNITO_REGION', `COGNITO_REGION: ${(error as Error).message}`);
      }
    }
  } else {
    where = read.url('OAUTH_TOKEN_URL', true);
    const domain = read.text('COGNITO_DOMAIN');
    if (!where && domain) {
      try {
        where = cognitoTokenUrl(domain, region);
      } catch (error) {
        read.fail('COGNITO_DOMAIN', `COGNITO_DOMAIN/COGNITO_REGION: ${(error as Error).message}`);
      }
    }
  }
  const [whereVar, whereText] = api
    ? ['OAUTH_API_ENDPOINT', API_ENDPOINT]
    : ['OAUTH_TOKEN_URL', TOKEN_ENDPOINT];
  const id = read.text(idVar);
  const secret = secretFromEnv(read, secretVars, id);
  const scopes = read.scopes(`${prefix}_SCOPES`);
  const clientMetadata = metadataFromEnv(read, `${prefix}_CLIENT_METADATA`);
  let credentials: {
    clientId: string;
    clientSecret: string | ClientSecretSource;
    scopes?: readonly string[];
  };
  if (!where) {
    // The development default sends its dev-only credentials to a local emulator. Never send
    // configured (possibly real) credentials there, and never fall back to it in production.
    const configured = [idVar, ...secretVars].filter((v) => read.text(v) !== undefined);
    if (configured.length > 0) {
      read.fail(
        whereVar,
        `${whereText} is required when ${configured.join(', ')} ${configured.length === 1 ? 'is' : 'are'} set`,
      );
    }
    if (read.production) {
      read.fail(whereVar, `${whereText} is required when NODE_ENV=production`);
    }
    if (!options.dev || api) read.fail(whereVar, `${whereText} is required`);
    where = options.dev.tokenUrl;
    credentials = options.dev;
  } else if (id && secret) {
    credentials = { clientId: id, clientSecret: secret.secret };
  } else if (id) {
    read.fail(
      secretVars[0],
      `${secretVars[0]} is required when ${idVar} is set (or ${secretVars[1]}, or ${secretVars[2]})`,
    );
  } else if (secret) {
    read.fail(idVar, `${idVar} is required when ${secret.variable} is set`);
  } else if (options.fallback) {
    credentials = options.fallback;
  } else {
    read.fail(
      idVar,
      `${idVar} and ${secretVars[0]} (or ${secretVars[1]}, or ${secretVars[2]}) are required`,
    );
  }
  const maxAttempts = read.int('OAUTH_RETRY_MAX_ATTEMPTS', 1, 20);
  const refreshAhead = read.nonNegative(`${prefix}_REFRESH_AHEAD`);
  if (refreshAhead !== undefined && !(refreshAhead > 0 && refreshAhead <= 1)) {
    read.fail(`${prefix}_REFRESH_AHEAD`, `${prefix}_REFRESH_AHEAD must be a fraction in (0, 1]`);
  }
  const maxTotalMs = read.int('OAUTH_RETRY_MAX_TOTAL_MS', 0, 600_000);
  const baseURL = read.url(`${downstream}_URL`, true) ?? options.defaultBaseURL;
  if (!baseURL) read.fail(`${downstream}_URL`, `${downstream}_URL is required`);
  return {
    name,
    downstream: options.downstream ?? name,
    ...(api ? { transport, apiEndpoint: where } : { tokenUrl: where }),
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    scopes: scopes ?? credentials.scopes ?? [],
    ...(clientMetadata && { clientMetadata }),
    authMethod:
      read.oneOf(`${prefix}_AUTH_METHOD`, AUTH_METHODS) ??
      read.oneOf('OAUTH_AUTH_METHOD', AUTH_METHODS) ??
      'client_secret_basic',
    tokenTimeoutMs: read.int('OAUTH_TOKEN_TIMEOUT_MS', 1, 600_000),
    retry: {
      ...(maxAttempts !== undefined && { maxAttempts }),
      ...(maxTotalMs !== undefined && { maxTotalMs }),
    },
    ...(refreshAhead !== undefined && { refreshAhead }),
    rejectionCooldownMs: read.int('OAUTH_REJECTION_COOLDOWN_MS', 0, 3_600_000),
    baseURL,
    requestTimeoutMs: read.int(`${downstream}_TIMEOUT_MS`, 1, 600_000),
    maxResponseBytes: read.int(`${downstream}_MAX_RESPONSE_BYTES`, 1024, 1024 * 1024 * 1024),
  };
}
