import axios, { type AxiosInstance } from 'axios';
import { fullJitterDelay, parseRetryAfter, type RetryOptions } from './backoff.js';
import { TokenEndpointError, TokenEndpointUnavailableError } from './client.errors.js';
import type { M2MClientMetrics } from './client.metrics.js';

/**
 * How a client asks for its client-credentials tokens: `token-endpoint` (the OAuth 2.0
 * `POST /oauth2/token` of a user pool domain) or `api` (Cognito's `GetClientToken`, AWS
 * JSON 1.1, for an app client on `ALLOW_CLIENT_TOKEN_AUTH`; no domain needed).
 */
export type TokenTransportKind = 'token-endpoint' | 'api';

/** One request of a transport, as it goes on the wire. */
export interface TransportRequest {
  url: string;
  body: string;
  headers: Readonly<Record<string, string>>;
}

/**
 * What a transport makes of an answer that is not a network failure, a 429 or a 5xx (those
 * are retried whatever the transport): a token's fields (checked by the requester), the
 * issuer refusing the client (`code` the OAuth error, `error` the issuer's own name for it),
 * a throttle the issuer reports its own way (retried), or nothing it understands.
 */
export type TransportVerdict =
  | { kind: 'token'; accessToken: unknown; expiresIn: unknown; tokenType: unknown }
  | { kind: 'refused'; code: string; error: string; description?: string }
  | { kind: 'throttled' }
  | { kind: 'unknown' };

/**
 * A way of asking for a token: what is sent with a secret, and what an answer means. The
 * requester around it owns everything else (deadlines, size cap, retries, metrics), so
 * every transport has all of it.
 */
export interface TokenTransport {
  readonly kind: TokenTransportKind;
  /** Where tokens come from (URL and protocol): part of every cache entry's identity. */
  readonly source: string;
  request(secret: string): TransportRequest;
  read(status: number, data: unknown): TransportVerdict;
}

export interface TokenRequestSettings {
  clientId: string;
  /** Deadline of one request, headers and body: the request is aborted when it passes. */
  timeoutMs: number;
  retry: RetryOptions;
  /** A token living no longer than this is an invalid response (the expiry skew). Default 0. */
  minLifetimeMs?: number;
}

/**
 * The most a token response may be; the request is aborted past it. A Cognito answer is
 * about 1 KiB; 64 KiB leaves room for any issuer's large tokens.
 */
export const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

export interface Runtime {
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
}

export interface TokenResponse {
  accessToken: string;
  expiresInSeconds: number;
}

type Attempt =
  | { kind: 'ok'; token: TokenResponse }
  | { kind: 'fatal'; error: Error }
  | { kind: 'retry'; cause: Error; retryAfterMs?: number };

/** The issuer's free text as printable ASCII, at most 200 characters (no log injection). */
export function printableDescription(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const clean = value
    .replace(/[^\x20-\x7e]+/g, ' ')
    .trim()
    .slice(0, 200);
  return clean === '' ? undefined : clean;
}

/** An error code as the issuer names it: printable ASCII, 1-64 characters. */
export const ISSUER_ERROR = /^[\x20-\x7e]{1,64}$/;

/** A cause that carries what went wrong and nothing of the request (no secret, no header). */
function plainCause(message: string, code?: string): Error {
  return Object.assign(new Error(message), code ? { code } : {});
}

/**
 * Sends one client-credentials request through a {@link TokenTransport} with its own axios
 * instance, retried with full-jitter backoff on network errors, timeouts, 5xx, 429 and a
 * transport's throttle. Deadlines, not idle timeouts: each attempt is aborted (its socket
 * closed) when its timeout or what is left of the retry budget passes, however steadily the
 * issuer trickles bytes, and when its answer grows past {@link MAX_TOKEN_RESPONSE_BYTES}.
 * The secret is given per request (it may change under a running client) and never leaves
 * the request: causes carry codes and statuses only.
 */
export class TokenRequester {
  private readonly http: AxiosInstance = axios.create({ maxRedirects: 0 });

  constructor(
    private readonly transport: TokenTransport,
    private readonly settings: TokenRequestSettings,
    private readonly runtime: Runtime,
    private readonly metrics: M2MClientMetrics,
  ) {}

  async requestToken(secret: string, signal: AbortSignal): Promise<TokenResponse> {
    const { retry, clientId } = this.settings;
    const request = this.transport.request(secret);
    const started = this.runtime.now();
    let last: Extract<Attempt, { kind: 'retry' }> | undefined;
    let attempts = 0;
    while (attempts < retry.maxAttempts) {
      const elapsed = this.runtime.now() - started;
      const timeout = Math.max(1, Math.min(this.settings.timeoutMs, retry.maxTotalMs - elapsed));
      attempts += 1;
      const result = await this.attempt(request, timeout, signal);
      if (result.kind === 'ok') return result.token;
      if (result.kind === 'fatal') throw result.error;
      last = result;
      if (attempts >= retry.maxAttempts || signal.aborted) break;
      const jitter = fullJitterDelay(attempts - 1, retry, this.runtime.random);
      const delay = Math.max(jitter, result.retryAfterMs ?? 0);
      if (this.runtime.now() - started + delay >= retry.maxTotalMs) break;
      await this.runtime.sleep(delay, signal);
    }
    const hintMs = last?.retryAfterMs ?? retry.maxDelayMs;
    throw new TokenEndpointUnavailableError(
      clientId,
      attempts,
      Math.max(1, Math.ceil(hintMs / 1000)),
      { cause: last?.cause },
    );
  }

  private count(outcome: string) {
    this.metrics.tokenRequests?.inc({ client_id: this.settings.clientId, outcome });
  }

  private async attempt(
    request: TransportRequest,
    timeout: number,
    signal: AbortSignal,
  ): Promise<Attempt> {
    const { clientId } = this.settings;
    let status: number;
    let data: unknown;
    let retryAfter: unknown;
    // axios's own `timeout` is an idle timeout on the socket in Node: a peer sending a byte
    // now and then never trips it. An abort signal ends the request whatever it receives.
    const deadline = AbortSignal.timeout(timeout);
    try {
      const res = await this.http.post<unknown>(request.url, request.body, {
        headers: request.headers,
        signal: AbortSignal.any([signal, deadline]),
        maxContentLength: MAX_TOKEN_RESPONSE_BYTES,
        maxBodyLength: MAX_TOKEN_RESPONSE_BYTES,
        validateStatus: () => true,
      });
      status = res.status;
      data = res.data;
      retryAfter = res.headers['retry-after'];
    } catch (error) {
      if (signal.aborted) {
        this.count('aborted');
        return { kind: 'fatal', error: new TokenEndpointUnavailableError(clientId, 1, 1) };
      }
      const code = axios.isAxiosError(error) ? error.code : undefined;
      if (code === axios.AxiosError.ERR_BAD_RESPONSE && !deadline.aborted) {
        // Past MAX_TOKEN_RESPONSE_BYTES (or undecodable): not an endpoint worth asking again.
        const status = axios.isAxiosError(error) ? error.response?.status : undefined;
        return this.invalidResponse('invalid_token_response', status ?? 200);
      }
      const timedOut = deadline.aborted || code === 'ECONNABORTED' || code === 'ETIMEDOUT';
      this.count(timedOut ? 'timeout' : 'network_error');
      const message = timedOut
        ? `token request timed out after ${timeout} ms`
        : `token request failed: ${code ?? 'network error'}`;
      return { kind: 'retry', cause: plainCause(message, code) };
    }

    const throttled = (): Attempt => {
      this.count('rate_limited');
      return {
        kind: 'retry',
        cause: plainCause(`token request throttled (HTTP ${status})`),
        retryAfterMs: parseRetryAfter(retryAfter, this.runtime.now()),
      };
    };
    if (status === 429) return throttled();
    if (status >= 500) {
      this.count('server_error');
      return {
        kind: 'retry',
        cause: plainCause(`token endpoint answered HTTP ${status}`),
        retryAfterMs: parseRetryAfter(retryAfter, this.runtime.now()),
      };
    }
    const verdict = this.transport.read(status, data);
    switch (verdict.kind) {
      case 'token':
        return this.token(verdict, status);
      case 'throttled':
        return throttled();
      case 'refused': {
        this.count('oauth_error');
        const { code, error, description } = verdict;
        const cause = { status, error, error_description: description };
        return {
          kind: 'fatal',
          error: new TokenEndpointError(code, clientId, status, description, { cause }),
        };
      }
      default:
        return this.invalidResponse(
          status >= 200 && status < 300 ? 'invalid_token_response' : 'unexpected_status',
          status,
        );
    }
  }

  /** A token's fields checked: a usable token, or an invalid response. */
  private token(
    { accessToken, expiresIn, tokenType }: Extract<TransportVerdict, { kind: 'token' }>,
    status: number,
  ): Attempt {
    const seconds = Number(expiresIn);
    if (
      status >= 200 &&
      status < 300 &&
      typeof accessToken === 'string' &&
      accessToken.length > 0 &&
      typeof expiresIn !== 'boolean' &&
      Number.isFinite(seconds) &&
      seconds > 0 &&
      // A token that expires within the skew could not serve one call: an outage of the
      // issuer's configuration, not a token to ask again for on every call.
      seconds * 1000 > (this.settings.minLifetimeMs ?? 0) &&
      (tokenType === undefined ||
        (typeof tokenType === 'string' && tokenType.toLowerCase() === 'bearer'))
    ) {
      this.count('success');
      return { kind: 'ok', token: { accessToken, expiresInSeconds: seconds } };
    }
    return this.invalidResponse('invalid_token_response', status);
  }

  /** A 2xx without a usable token, or a status that is neither success nor an issuer error. */
  private invalidResponse(
    error: 'invalid_token_response' | 'unexpected_status',
    status: number,
  ): Attempt {
    this.count('invalid_response');
    return {
      kind: 'fatal',
      error: new TokenEndpointError(error, this.settings.clientId, status, undefined, {
        cause: { status, error },
      }),
    };
  }
}
