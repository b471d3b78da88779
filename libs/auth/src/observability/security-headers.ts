import type { INestApplication } from '@nestjs/common';
import helmet, { type HelmetOptions } from 'helmet';
import type { FastifyHooks } from './fastify-hooks.js';

/**
 * The content security policy of a JSON API: nothing may load, nothing may frame it
 * (OWASP's REST recommendation). A service that serves a page (API docs) passes its own.
 */
export const API_CONTENT_SECURITY_POLICY: NonNullable<HelmetOptions['contentSecurityPolicy']> = {
  useDefaults: false,
  directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] },
};

/**
 * Security headers on every response with helmet, one middleware built once at start-up
 * and run first on each request (on Fastify from an `onRequest` hook: `@fastify/helmet`
 * would build helmet's middleware again, policy parsing included, on every request):
 * `Content-Security-Policy` ({@link API_CONTENT_SECURITY_POLICY} unless
 * `options` give one), `Strict-Transport-Security`, `X-Content-Type-Options: nosniff`,
 * `X-Frame-Options`, `Referrer-Policy: no-referrer`, `Cross-Origin-Opener-Policy` and
 * `Cross-Origin-Resource-Policy`, ...; no `X-Powered-By`. `options` are helmet's, merged
 * over these defaults.
 *
 * @example
 * ```ts
 * useSecurityHeaders(app, { strictTransportSecurity: false });
 * ```
 */
export function useSecurityHeaders(app: INestApplication, options: HelmetOptions = {}): void {
  const settings: HelmetOptions = {
    contentSecurityPolicy: API_CONTENT_SECURITY_POLICY,
    ...options,
  };
  const headers = helmet(settings);
  const adapter = app.getHttpAdapter();
  if (adapter.getType() === 'fastify') {
    (adapter.getInstance() as FastifyHooks).addHook('onRequest', (request, reply, done) => {
      headers(request.raw, reply.raw, done);
    });
  } else {
    app.use(headers);
  }
}
