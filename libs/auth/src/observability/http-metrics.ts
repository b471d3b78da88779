import type { IncomingMessage, ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { getOrCreate } from '../shared/metrics.js';
import type { FastifyHooks } from './fastify-hooks.js';

type Labels = 'method' | 'route' | 'status_class';

/** The `route` label of a request no route matched (404s, body-parser errors). */
export const UNMATCHED_ROUTE = 'unmatched';

/** Methods kept as their own label value; any other counts as `_OTHER` (bounded labels). */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

/** Express's request after routing: the matched route's template. */
type ExpressRequest = IncomingMessage & { baseUrl?: string; route?: { path?: unknown } };

/** The app's `Registry` (from `MetricsModule`), or `undefined` when it has none. */
function registryOf(app: INestApplication): Registry | undefined {
  try {
    return app.get(Registry, { strict: false });
  } catch {
    return undefined;
  }
}

/**
 * Inbound HTTP metrics on the app's `MetricsModule` registry, in Prometheus' naming (the
 * fleet's metrics are a Prometheus scrape): `http_requests_total` and
 * `http_request_duration_seconds` (histogram, seconds), both by `method`, `route` (the
 * route template, e.g. `/weatherforecast`, never the raw path: bounded cardinality;
 * `unmatched` when no route matched) and `status_class` (`2xx` ... `5xx`). Every request
 * counts, probes and scrapes included, once its response is closed. On Express it is a
 * middleware, on Fastify an `onRequest` hook; install it before the body parser so its
 * errors count too. A no-op when the app has no `MetricsModule`.
 *
 * @example
 * ```ts
 * const app = await NestFactory.create(AppModule, { bodyParser: false });
 * useHttpMetrics(app);
 * app.useBodyParser('json');
 * ```
 */
export function useHttpMetrics(app: INestApplication): void {
  const registry = registryOf(app);
  if (!registry) return;
  const requests = getOrCreate(
    registry,
    'http_requests_total',
    () =>
      new Counter<Labels>({
        name: 'http_requests_total',
        help: 'HTTP requests served, by method, route template and status class',
        labelNames: ['method', 'route', 'status_class'],
        registers: [registry],
      }),
  );
  const duration = getOrCreate(
    registry,
    'http_request_duration_seconds',
    () =>
      new Histogram<Labels>({
        name: 'http_request_duration_seconds',
        help: 'Time from a request arriving to its response closing, by method, route template and status class',
        labelNames: ['method', 'route', 'status_class'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      }),
  );
  const observe = (req: IncomingMessage, res: ServerResponse, route: () => string | undefined) => {
    const startedAt = performance.now();
    res.once('close', () => {
      const labels = {
        method: METHODS.has(req.method ?? '') ? (req.method as string) : '_OTHER',
        route: route() ?? UNMATCHED_ROUTE,
        status_class: `${Math.trunc(res.statusCode / 100)}xx`,
      };
      requests.inc(labels);
      duration.observe(labels, (performance.now() - startedAt) / 1000);
    });
  };
  const adapter = app.getHttpAdapter();
  if (adapter.getType() === 'fastify') {
    (adapter.getInstance() as FastifyHooks).addHook('onRequest', (request, reply, done) => {
      observe(request.raw, reply.raw, () => request.routeOptions?.url);
      done();
    });
  } else {
    app.use((req: ExpressRequest, res: ServerResponse, next: () => void) => {
      observe(req, res, () =>
        typeof req.route?.path === 'string' ? `${req.baseUrl ?? ''}${req.route.path}` : undefined,
      );
      next();
    });
  }
}
