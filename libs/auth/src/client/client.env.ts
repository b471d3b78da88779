import { cognitoTokenUrl } from '../cognito/cognito-urls.js';
import { EnvReader } from '../shared/env.js';
import type { M2MClientModuleOptions } from './client.module-definition.js';
import type { ClientAuthMethod } from './token-endpoint.js';

const AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];
const TOKEN_ENDPOINT = 'OAUTH_TOKEN_URL (or COGNITO_DOMAIN + COGNITO_REGION)';

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
  fallback?: { clientId: string; clientSecret: string };
}

/** `inventory-api` → `INVENTORY_API`. */
function envName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/**
 * The options of the M2M client `name` (its registration name and `dependency` label) from
 * environment variables, so a new client needs no configuration code. For `inventory-api`:
 *
 * | variable | option | default |
 * | --- | --- | --- |
 * | `OAUTH_TOKEN_URL`, or `COGNITO_DOMAIN` (+ `COGNITO_REGION` for a prefix) | `tokenUrl` (every client) | `dev.tokenUrl` |
 * | `OAUTH_INVENTORY_API_CLIENT_ID` / `_CLIENT_SECRET` | `clientId` / `clientSecret` | `dev`, `fallback` |
 * | `OAUTH_INVENTORY_API_SCOPES` (space-separated) | `scopes` | every scope the client may have |
 * | `OAUTH_INVENTORY_API_AUTH_METHOD`, else `OAUTH_AUTH_METHOD` | `authMethod` | `client_secret_basic` |
 * | `INVENTORY_API_URL` | `baseURL` | `defaultBaseURL` |
 * | `INVENTORY_API_TIMEOUT_MS` | `requestTimeoutMs` (a total deadline) | 10000 |
 * | `INVENTORY_API_MAX_RESPONSE_BYTES` | `maxResponseBytes` | 4194304 |
 * | `OAUTH_TOKEN_TIMEOUT_MS` | `tokenTimeoutMs` (every client) | 5000 |
 * | `OAUTH_RETRY_MAX_ATTEMPTS` / `OAUTH_RETRY_MAX_TOTAL_MS` | `retry` (every client) | 4 / 10000 |
 * | `OAUTH_INVENTORY_API_REFRESH_AHEAD` (fraction of the lifetime, (0, 1]) | `refreshAhead` | 0.75 |
 * | `OAUTH_REJECTION_COOLDOWN_MS` | `rejectionCooldownMs` (every client) | 30000 |
 *
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
  const [idVar, secretVar] = [`${prefix}_CLIENT_ID`, `${prefix}_CLIENT_SECRET`];
  let tokenUrl = read.url('OAUTH_TOKEN_URL', true);
  const domain = read.text('COGNITO_DOMAIN');
  if (!tokenUrl && domain) {
    try {
      tokenUrl = cognitoTokenUrl(domain, read.text('COGNITO_REGION'));
    } catch (error) {
      read.fail('COGNITO_DOMAIN', `COGNITO_DOMAIN/COGNITO_REGION: ${(error as Error).message}`);
    }
  }
  const id = read.text(idVar);
  const secret = read.text(secretVar);
  const scopes = read.scopes(`${prefix}_SCOPES`);
  let credentials: { clientId: string; clientSecret: string; scopes?: readonly string[] };
  if (!tokenUrl) {
    // The development default sends its dev-only credentials to a local emulator. Never send
    // configured (possibly real) credentials there, and never fall back to it in production.
    const configured = [idVar, secretVar].filter((v) => read.text(v) !== undefined);
    if (configured.length > 0) {
      read.fail(
        'OAUTH_TOKEN_URL',
        `${TOKEN_ENDPOINT} is required when ${configured.join(', ')} ${configured.length === 1 ? 'is' : 'are'} set`,
      );
    }
    if (read.production) {
      read.fail('OAUTH_TOKEN_URL', `${TOKEN_ENDPOINT} is required when NODE_ENV=production`);
    }
    if (!options.dev) read.fail('OAUTH_TOKEN_URL', `${TOKEN_ENDPOINT} is required`);
    tokenUrl = options.dev.tokenUrl;
    credentials = options.dev;
  } else if (id && secret) {
    credentials = { clientId: id, clientSecret: secret };
  } else if (id) {
    read.fail(secretVar, `${secretVar} is required when ${idVar} is set`);
  } else if (secret) {
    read.fail(idVar, `${idVar} is required when ${secretVar} is set`);
  } else if (options.fallback) {
    credentials = options.fallback;
  } else {
    read.fail(idVar, `${idVar} and ${secretVar} are required`);
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
    tokenUrl,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    scopes: scopes ?? credentials.scopes ?? [],
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
