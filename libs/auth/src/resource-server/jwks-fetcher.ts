import { LibraryError } from '../shared/errors.js';

/** Largest key set accepted by default: 1 MiB (Cognito's is under 2 KiB). */
export const DEFAULT_JWKS_MAX_BYTES = 1024 * 1024;

/** Why a key-set fetch failed. */
export type JwksFetchFailure =
  'jwks_timeout' | 'jwks_too_large' | 'jwks_http_status' | 'jwks_invalid_body' | 'jwks_unreachable';

/**
 * A key-set fetch failed: too slow, too large, a non-2xx answer, a body that is not a JWKS, or
 * no connection. The message names the limit or the status, never the body.
 *
 * @example
 * ```ts
 * if (err.cause instanceof JwksFetchError && err.cause.code === 'jwks_too_large') { ... }
 * ```
 */
export class JwksFetchError extends LibraryError {
  constructor(
    message: string,
    readonly code: JwksFetchFailure,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Limits of {@link createJwksFetcher}. */
export interface JwksFetcherOptions {
  /** Total deadline of one fetch, connection to last byte, in ms. */
  timeoutMs: number;
  /** Largest body accepted, in bytes. Default {@link DEFAULT_JWKS_MAX_BYTES}. */
  maxBytes?: number;
  /** Aborts every fetch in flight (e.g. when the app shuts down). */
  signal?: AbortSignal;
}

/**
 * A `fetcher` for jwks-rsa's `JwksClient` that bounds each fetch in time and size by aborting
 * it: the deadline covers connecting, headers and the whole body, and the connection is
 * closed as soon as it passes or the body exceeds `maxBytes` (jwks-rsa's own request only has
 * a socket idle timeout and buffers bodies without limit). Redirects are refused, as jwks-rsa
 * refuses them.
 *
 * @example
 * ```ts
 * const client = new JwksClient({
 *   jwksUri,
 *   fetcher: createJwksFetcher({ timeoutMs: 5_000, maxBytes: 1024 * 1024 }),
 * });
 * ```
 */
export function createJwksFetcher(
  options: JwksFetcherOptions,
): (jwksUri: string) => Promise<{ keys: unknown[] }> {
  const maxBytes = options.maxBytes ?? DEFAULT_JWKS_MAX_BYTES;
  return async (jwksUri) => {
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const oversized = new AbortController();
    const signal = AbortSignal.any(
      [deadline, oversized.signal, options.signal].filter((s) => s !== undefined),
    );
    const tooLarge = () =>
      new JwksFetchError(`the key set is larger than ${maxBytes} bytes`, 'jwks_too_large');
    try {
      const res = await fetch(jwksUri, {
        signal,
        redirect: 'error',
        headers: { accept: 'application/json' },
      });
      if (!res.ok) {
        oversized.abort();
        throw new JwksFetchError(`the key set endpoint answered ${res.status}`, 'jwks_http_status');
      }
      if (Number(res.headers.get('content-length')) > maxBytes) {
        oversized.abort();
        throw tooLarge();
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of res.body ?? []) {
        size += chunk.byteLength;
        if (size > maxBytes) {
          oversized.abort();
          throw tooLarge();
        }
        chunks.push(chunk);
      }
      return parseKeySet(Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      if (err instanceof JwksFetchError) throw err;
      if (deadline.aborted) {
        throw new JwksFetchError(
          `the key set request exceeded its ${options.timeoutMs} ms deadline`,
          'jwks_timeout',
          { cause: err },
        );
      }
      throw new JwksFetchError('the key set endpoint is unreachable', 'jwks_unreachable', {
        cause: err,
      });
    }
  };
}

function parseKeySet(text: string): { keys: unknown[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new JwksFetchError('the key set is not JSON', 'jwks_invalid_body', { cause });
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) {
    throw new JwksFetchError('the key set has no "keys" array', 'jwks_invalid_body');
  }
  return { keys };
}
