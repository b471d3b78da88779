import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The part of a Fastify instance the observability hooks use (structural: the library does
 * not depend on fastify). `routeOptions.url` is the matched route's template.
 */
export interface FastifyHooks {
  addHook(
    name: 'onRequest' | 'preValidation',
    hook: (
      request: { raw: IncomingMessage & { originalUrl?: string }; routeOptions?: { url?: string } },
      reply: { raw: ServerResponse },
      done: (err?: unknown) => void,
    ) => void,
  ): unknown;
}
