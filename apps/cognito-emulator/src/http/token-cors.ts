import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { configError } from '../config/emulator-config.js';

/** Where a browser may call the token endpoint from by default: weather-api's /docs page. */
export const DEFAULT_CORS_ORIGINS = ['http://127.0.0.1:3000', 'http://localhost:3000'];

// What Swagger UI's Authorize button sends: client_secret_basic, a form body, XHR markers.
const ALLOWED_HEADERS = new Set(['authorization', 'content-type', 'accept', 'x-requested-with']);

/**
 * `COGNITO_EMULATOR_CORS_ORIGINS` (comma-separated origins such as `http://127.0.0.1:3000`)
 * as a set; unset or empty gives {@link DEFAULT_CORS_ORIGINS}. `*`, paths and non-http(s)
 * values are refused at start-up, naming the variable.
 */
export function parseCorsOrigins(value: string | undefined): ReadonlySet<string> {
  const items = (value ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o.length > 0);
  if (items.length === 0) return new Set(DEFAULT_CORS_ORIGINS);
  return new Set(
    items.map((item) => {
      let url: URL | undefined;
      try {
        url = new URL(item);
      } catch {
        url = undefined;
      }
      if (!url || !/^https?:$/.test(url.protocol) || url.origin !== item.replace(/\/$/, '')) {
        throw configError(
          'COGNITO_EMULATOR_CORS_ORIGINS',
          `"${item}" is not an origin (scheme://host[:port]; "*" is not allowed)`,
        );
      }
      return url.origin;
    }),
  );
}

/**
 * CORS for `POST /oauth2/token` only, for the configured origins only (never `*`), so
 * a docs page (Swagger UI's Authorize button) can get a token from the emulator. A
 * preflight from an allowed origin gets 204 with the allowed method and headers; one from
 * any other origin gets 403 `{"error":"cors_origin_not_allowed"}`. A request from another
 * origin is still answered, without CORS headers, so the browser withholds the answer.
 */
export function tokenEndpointCors(origins: ReadonlySet<string>) {
  // A Fastify `onRequest` hook: it answers preflights before routing (no OPTIONS route).
  return (req: FastifyRequest, res: FastifyReply, done: HookHandlerDoneFunction): void => {
    if (pathOf(req.url) !== '/oauth2/token') return done();
    const origin = req.headers.origin;
    const vary = res.getHeader('vary');
    res.header('Vary', vary ? `${String(vary)}, Origin` : 'Origin');
    const allowed = typeof origin === 'string' && origins.has(origin);
    if (allowed) res.header('Access-Control-Allow-Origin', origin);
    const preflight =
      req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (!preflight) return done();
    const requested = String(req.headers['access-control-request-headers'] ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h.length > 0);
    const method = String(req.headers['access-control-request-method']).toUpperCase();
    if (!allowed || method !== 'POST' || requested.some((h) => !ALLOWED_HEADERS.has(h))) {
      res.removeHeader('Access-Control-Allow-Origin');
      void res.status(403).send({
        error: 'cors_origin_not_allowed',
        error_description: allowed
          ? 'only POST with Authorization, Content-Type, Accept and X-Requested-With is allowed'
          : 'this origin may not call the token endpoint from a browser',
      });
      return;
    }
    res.header('Access-Control-Allow-Methods', 'POST');
    res.header('Access-Control-Allow-Headers', [...ALLOWED_HEADERS].join(', '));
    res.header('Access-Control-Max-Age', '600');
    void res.status(204).send();
  };
}

/** A request URL's path, without the query string. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
