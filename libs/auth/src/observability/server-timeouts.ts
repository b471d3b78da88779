import { type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { EnvReader } from '../shared/env.js';

/** How long a server waits for each part of a client's request, in ms. */
export interface ServerTimeouts {
  /** Until the request's headers are complete (slow headers, silent connections). Default 5,000. */
  headersTimeoutMs: number;
  /** Until the whole request, headers and body, is received (slow bodies). Default 10,000. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open after a response. Default 5,000. */
  keepAliveTimeoutMs: number;
}

/** The defaults: a slow client is closed within 6 s (headers) or 11 s (body). */
export const DEFAULT_SERVER_TIMEOUTS: Readonly<ServerTimeouts> = Object.freeze({
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
});

/**
 * The timeouts from `HTTP_HEADERS_TIMEOUT_MS`, `HTTP_REQUEST_TIMEOUT_MS` and
 * `HTTP_KEEP_ALIVE_TIMEOUT_MS` (each 1-600000, the headers' at most the request's), the
 * defaults for those unset.
 */
export function serverTimeoutsFromEnv(read: EnvReader): ServerTimeouts {
  const timeouts = {
    headersTimeoutMs:
      read.int('HTTP_HEADERS_TIMEOUT_MS', 1, 600_000) ?? DEFAULT_SERVER_TIMEOUTS.headersTimeoutMs,
    requestTimeoutMs:
      read.int('HTTP_REQUEST_TIMEOUT_MS', 1, 600_000) ?? DEFAULT_SERVER_TIMEOUTS.requestTimeoutMs,
    keepAliveTimeoutMs:
      read.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 1, 600_000) ??
      DEFAULT_SERVER_TIMEOUTS.keepAliveTimeoutMs,
  };
  if (timeouts.headersTimeoutMs > timeouts.requestTimeoutMs) {
    read.fail(
      'HTTP_HEADERS_TIMEOUT_MS',
      'HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)',
    );
  }
  return timeouts;
}

/** What a client error answers: status, then the JSON `error` code. */
function clientErrorAnswer(code: string | undefined): [number, string, string] {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'request_timeout', 'the request was not received in time'];
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'request_header_fields_too_large', 'the request headers are too large'];
    default:
      return [400, 'invalid_request', 'the request is not well-formed HTTP'];
  }
}

/** Node's own `clientError` answer, as JSON: only on a socket nothing was written to yet. */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const written = (socket as { bytesWritten?: number }).bytesWritten ?? 0;
  if (err.code !== 'ECONNRESET' && socket.writable && written === 0) {
    const [status, error, description] = clientErrorAnswer(err.code);
    const body = JSON.stringify({ error, error_description: description });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/**
 * Bounds how long `server` (Node's `http.Server`, under Express or Fastify) waits for its
 * clients, before it listens. Node checks these deadlines periodically, every 30 s by
 * default; the check runs at most every second here, so a client is closed within its
 * deadline plus one second, answered `408 request_timeout`. Malformed HTTP, a request that
 * is too slow and oversized headers are answered with a JSON body, unless the framework
 * answers them itself (Fastify does).
 *
 * Library-internal: `startService` applies them to every service.
 */
export function applyServerTimeouts(server: Server, timeouts: ServerTimeouts): void {
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.requestTimeout = timeouts.requestTimeoutMs;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  // Read by Node when the server starts listening.
  (server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = Math.min(
    1000,
    Math.max(50, Math.floor(timeouts.headersTimeoutMs / 4)),
  );
  if (server.listenerCount('clientError') === 0) server.on('clientError', answerClientError);
}
