import type { INestApplication } from '@nestjs/common';
import type { HelmetOptions } from 'helmet';

/**
 * The content security policy of a JSON API: nothing may load, nothing may frame it
 * (OWASP's REST recommendation). A service that serves a page (API docs) passes its own.
 */
export const API_CONTENT_SECURITY_POLICY: NonNullable<HelmetOptions['contentSecurityPolicy']> = {
  useDefaults: false,
  directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] },
};

/** The part of a Fastify application used here (structural: no fastify types needed). */
interface FastifyRegister {
  register(plugin: unknown, options: HelmetOptions): Promise<unknown>;
}

/**
 * Security headers on every response with helmet (`@fastify/helmet` on Fastify, the same
 * options): `Content-Security-Policy` ({@link API_CONTENT_SECURITY_POLICY} unless
 * `options` give one), `Strict-Transport-Security`, `X-Content-Type-Options: nosniff`,
 * `X-Frame-Options`, `Referrer-Policy: no-referrer`, `Cross-Origin-Opener-Policy` and
 * `Cross-Origin-Resource-Policy`, ...; no `X-Powered-By`. `options` are helmet's, merged
 * over these defaults.
 *
 * @example
 * ```ts
 * await useSecurityHeaders(app, { strictTransportSecurity: false });
 * ```
 */
export async function useSecurityHeaders(
  app: INestApplication,
  options: HelmetOptions = {},
): Promise<void> {
  const settings: HelmetOptions = {
    contentSecurityPolicy: API_CONTENT_SECURITY_POLICY,
    ...options,
  };
  if (app.getHttpAdapter().getType() === 'fastify') {
    const { default: fastifyHelmet } = await import('@fastify/helmet');
    await (app as unknown as FastifyRegister).register(fastifyHelmet, settings);
  } else {
    const { default: helmet } = await import('helmet');
    app.use(helmet(settings));
  }
}
