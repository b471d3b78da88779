import { LibraryError } from '../shared/errors.js';

/**
 * The token endpoint answered with an OAuth error (`invalid_client`, `invalid_scope`,
 * `unauthorized_client`, ...) or with something that is not a token. Never retried: asking
 * again with the same credentials gets the same answer and costs a billed request.
 * `code` is the OAuth error code; the message names the client, never its secret.
 *
 * @example
 * ```ts
 * try { await provider.getToken(); } catch (e) {
 *   if (e instanceof TokenEndpointError && e.code === 'invalid_client') alertOnCall(e.clientId);
 * }
 * ```
 */
export class TokenEndpointError extends LibraryError {
  constructor(
    /** The OAuth error code, or `invalid_token_response` / `unexpected_status`. */
    readonly code: string,
    readonly clientId: string,
    /** HTTP status of the token endpoint's answer. */
    readonly status: number,
    /** The endpoint's `error_description`, if any, as printable ASCII of at most 200 characters. */
    readonly description?: string,
    /** `cause`: what the endpoint answered (`{ status, error, error_description }`), nothing sent. */
    options?: { cause?: unknown },
  ) {
    super(
      `Token endpoint refused client "${clientId}": ${code}` +
        (description ? ` (${description})` : ''),
      options,
    );
  }
}

/**
 * The token endpoint could not be reached or kept failing (network errors, timeouts,
 * 5xx, 429) until the retry budget ran out, and no valid token was cached.
 * `retryAfterSeconds` is a hint for callers answering 503.
 *
 * @example
 * ```ts
 * if (e instanceof TokenEndpointUnavailableError) res.setHeader('Retry-After', e.retryAfterSeconds);
 * ```
 */
export class TokenEndpointUnavailableError extends LibraryError {
  readonly code = 'token_endpoint_unavailable';

  constructor(
    readonly clientId: string,
    /** How many requests were made before giving up. */
    readonly attempts: number,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(
      `Token endpoint unavailable for client "${clientId}" after ${attempts} attempt(s)`,
      options,
    );
  }
}

/**
 * The downstream rejected (401) a token that a forced refresh had just fetched, so a new
 * one is not requested again until the cooldown ends (no token storm against the issuer:
 * a resource server that refuses fresh tokens refuses the next ones too). The call fails
 * with the downstream's 401. `code` is always `token_rejected`.
 *
 * @example
 * ```ts
 * if (e instanceof TokenRejectedError) logger.warn(`${e.clientId}: check the API's issuer`);
 * ```
 */
export class TokenRejectedError extends LibraryError {
  readonly code = 'token_rejected';

  constructor(
    readonly clientId: string,
    /** Seconds until a forced refresh is allowed again. */
    readonly retryAfterSeconds: number,
  ) {
    super(
      `The downstream rejected a freshly fetched token of client "${clientId}"; ` +
        `no new token before the cooldown ends (${retryAfterSeconds} s)`,
    );
  }
}

/**
 * An M2M client or token provider was given options it cannot work with (a relative token
 * URL, no secret, a refresh fraction outside (0, 1], ...). Thrown at construction, so a
 * misconfigured app fails at start-up. `code` is always `invalid_options`; `option` names
 * the offending option. The message never contains an option's value.
 *
 * @example
 * ```ts
 * try { new TokenProvider(options); } catch (e) {
 *   if (e instanceof M2MClientConfigError) console.error(`fix ${e.option}`);
 * }
 * ```
 */
export class M2MClientConfigError extends LibraryError {
  readonly code = 'invalid_options';

  constructor(
    /** The option at fault, e.g. `tokenUrl` or `retry.maxAttempts`. */
    readonly option: string,
    why: string,
    options?: { cause?: unknown },
  ) {
    super(`M2M client option "${option}" ${why}`, options);
  }
}

/** Why a downstream call failed although the downstream may have answered. */
export type DownstreamFailure =
  'downstream_timeout' | 'downstream_too_large' | 'downstream_not_json';

/**
 * A call of an M2M client's `HttpService` was cut off or its answer refused: past its total
 * deadline (`requestTimeoutMs`, the 401 retry included), a body over `maxResponseBytes`, or
 * a success body that is not declared and parsed as JSON (for the default
 * `responseType: 'json'`). The call is aborted and its connection closed; nothing of the
 * body is kept. `dependency` names the downstream, as `M2MErrorFilter` answers it.
 *
 * @example
 * ```ts
 * if (e instanceof DownstreamError && e.code === 'downstream_timeout') metrics.timeouts.inc();
 * ```
 */
export class DownstreamError extends LibraryError {
  constructor(
    readonly code: DownstreamFailure,
    /** The downstream, e.g. `weather-api`. */
    readonly dependency: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A token cache store could not answer: unreachable, too slow, refusing. Thrown by a
 * `TokenCacheStore` (`RedisTokenCacheStore` throws nothing else) and never seen by a
 * call: the client serves from its own process. `reason` names the failure in logs and
 * readiness detail (`ECONNREFUSED`, `TIMEOUT`, `WRONGPASS`): an identifier, never a message
 * that could carry a URL or password. `code` is always `shared_cache_unavailable`.
 *
 * @example
 * ```ts
 * async get(key: string) {
 *   try { return await table.get(key); } catch (cause) {
 *     throw new SharedCacheUnavailableError('THROTTLED', { cause });
 *   }
 * }
 * ```
 */
export class SharedCacheUnavailableError extends LibraryError {
  readonly code = 'shared_cache_unavailable';

  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`The shared token cache is unavailable (${reason})`, options);
  }
}

/**
 * A client's secret source could not give a secret: a file missing, unreadable, empty or
 * too large, a Secrets Manager secret unreachable, refused or of another client. At start-up
 * it stops the app; later, a call that needs a token fails with it (answered 503) while a
 * valid token keeps serving. `reason` is a code (`ENOENT`, `empty`, `too_large`,
 * `AccessDeniedException`, `timeout`, ...), never the secret or the message of a peer.
 * `code` is always `client_secret_unavailable`.
 *
 * @example
 * ```ts
 * if (e instanceof ClientSecretUnavailableError) logger.error(`${e.source}: ${e.reason}`);
 * ```
 */
export class ClientSecretUnavailableError extends LibraryError {
  readonly code = 'client_secret_unavailable';

  constructor(
    /** The kind of source: `file`, `Secrets Manager`. */
    readonly source: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`The client secret (${source}) could not be read: ${reason}`, options);
  }
}
