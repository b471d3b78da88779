import axios, { type AxiosInstance } from 'axios';
import { fullJitterDelay, parseRetryAfter, type RetryOptions } from './backoff.js';
import { TokenEndpointError, TokenEndpointUnavailableError } from './client.errors.js';
import type { M2MClientMetrics } from './client.metrics.js';

/**
 * How the client authenticates at the token endpoint.
 *
 * - `client_secret_basic` (default): `Authorization: Basic base64(client_id:client_secret)`,
 *   the id and secret joined as they are, NOT form-urlencoded first. That is what Amazon
 *   Cognito documents (`Base64Encode(client_id:client_secret)`) and accepts; other clients
 *   report Cognito refusing form-urlencoded credentials. RFC 6749 §2.3.1 asks for
 *   form-urlencoding first; for the ids and secrets Cognito generates (letters and digits)
 *   both forms are the same bytes. The local emulator accepts both readings, so client and
 *   emulator agree on every id and secret. An id containing `:` cannot be sent this way.
 * - `client_secret_post`: `client_id` and `client_secret` in the form body (form encoding
 *   applies as for every body field). Use it for a non-Cognito server that decodes Basic
 *   credentials and a secret with characters other than letters and digits.
 */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface TokenEndpointSettings {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: readonly string[];
  authMethod: ClientAuthMethod;
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

/** A cause that carries what went wrong and nothing of the request (no secret, no header). */
function plainCause(message: string, code?: string): Error {
  return Object.assign(new Error(message), code ? { code } : {});
}

/**
 * Talks to the OAuth token endpoint with its own axios instance: one client-credentials
 * request, retried with full-jitter backoff on network errors, timeouts, 5xx and 429.
 * Deadlines, not idle timeouts: each attempt is aborted (its socket closed) when its
 * timeout or what is left of the retry budget passes, however steadily the endpoint
 * trickles bytes, and when its answer grows past {@link MAX_TOKEN_RESPONSE_BYTES}.
 */
export class TokenEndpointClient {
  private readonly http: AxiosInstance = axios.create({ maxRedirects: 0 });
  /** The form body and headers of every attempt: the settings do not change. */
  private readonly body: string;
  private readonly headers: Readonly<Record<string, string>>;

  constructor(
    private readonly settings: TokenEndpointSettings,
    private readonly runtime: Runtime,
    private readonly metrics: M2MClientMetrics,
  ) {
    const { clientId, clientSecret, scopes, authMethod } = settings;
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
    };
    if (authMethod === 'client_secret_post') {
      body.set('client_id', clientId);
      body.set('client_secret', clientSecret);
    } else {
      // As Cognito expects: not form-urlencoded (see ClientAuthMethod).
      headers.Authorization = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
    }
    if (scopes.length > 0) body.set('scope', scopes.join(' '));
    this.body = body.toString();
    this.headers = headers;
  }

  async requestToken(signal: AbortSignal): Promise<TokenResponse> {
    const { retry, clientId } = this.settings;
    const started = this.runtime.now();
    let last: Extract<Attempt, { kind: 'retry' }> | undefined;
    let attempts = 0;
    while (attempts < retry.maxAttempts) {
      const elapsed = this.runtime.now() - started;
      const timeout = Math.max(1, Math.min(this.settings.timeoutMs, retry.maxTotalMs - elapsed));
      attempts += 1;
      const result = await this.attempt(timeout, signal);
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

  private async attempt(timeout: number, signal: AbortSignal): Promise<Attempt> {
    const { tokenUrl, clientId } = this.settings;
    let status: number;
    let data: unknown;
    let retryAfter: unknown;
    // axios's own `timeout` is an idle timeout on the socket in Node: a peer sending a byte
    // now and then never trips it. An abort signal ends the request whatever it receives.
    const deadline = AbortSignal.timeout(timeout);
    try {
      const res = await this.http.post<unknown>(tokenUrl, this.body, {
        headers: this.headers,
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

    if (status === 429 || status >= 500) {
      this.count(status === 429 ? 'rate_limited' : 'server_error');
      return {
        kind: 'retry',
        cause: plainCause(`token endpoint answered HTTP ${status}`),
        retryAfterMs: parseRetryAfter(retryAfter, this.runtime.now()),
      };
    }
    const json = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
    if (status >= 200 && status < 300) {
      const token = json.access_token;
      const expiresIn = Number(json.expires_in);
      const type = json.token_type;
      if (
        typeof token === 'string' &&
        token.length > 0 &&
        Number.isFinite(expiresIn) &&
        expiresIn > 0 &&
        // A token that expires within the skew could not serve one call: an outage of the
        // issuer's configuration, not a token to ask again for on every call.
        expiresIn * 1000 > (this.settings.minLifetimeMs ?? 0) &&
        (type === undefined || (typeof type === 'string' && type.toLowerCase() === 'bearer'))
      ) {
        this.count('success');
        return { kind: 'ok', token: { accessToken: token, expiresInSeconds: expiresIn } };
      }
      return this.invalidResponse('invalid_token_response', status);
    }
    if (typeof json.error === 'string' && /^[\x20-\x7e]{1,64}$/.test(json.error)) {
      this.count('oauth_error');
      const description = printableDescription(json.error_description);
      const cause = { status, error: json.error, error_description: description };
      return {
        kind: 'fatal',
        error: new TokenEndpointError(json.error, clientId, status, description, { cause }),
      };
    }
    return this.invalidResponse('unexpected_status', status);
  }

  /** A 2xx without a usable token, or a status that is neither success nor an OAuth error. */
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
