import { register } from 'node:module';
import { type ProxyTracerProvider, trace } from '@opentelemetry/api';
import { EnvConfigError } from '../shared/errors.js';
import { isProbePath } from './probe-paths.js';

/** Longest an app's shutdown waits for its last spans to be exported. */
const FLUSH_DEADLINE_MS = 3000;

const blank = (value: string | undefined) => !value?.trim();

/**
 * The variable that turns tracing on in `env`, read from OpenTelemetry's standard ones: an
 * explicit `OTEL_TRACES_EXPORTER` (`otlp`, `console`) or an OTLP endpoint
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); undefined when
 * tracing is off, as it is with `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true`.
 * Empty counts as unset.
 */
function tracingSwitch(env: NodeJS.ProcessEnv): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  if (exporters.includes('none')) return undefined;
  if (exporters.length > 0) return 'OTEL_TRACES_EXPORTER';
  return ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'].find(
    (name) => !blank(env[name]),
  );
}

/**
 * Whether this process exports traces (see {@link tracingSwitch} for the variables). Without
 * an exporter nothing is loaded: the library's spans stay `@opentelemetry/api` no-ops.
 *
 * @example
 * ```ts
 * tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }); // true
 * tracingEnabled({}); // false
 * ```
 */
export function tracingEnabled(env: NodeJS.ProcessEnv): boolean {
  return tracingSwitch(env) !== undefined;
}

/**
 * OpenTelemetry's Node SDK and what it needs here: the package's optional peers, installed
 * only by a service that traces (they are most of a service's install: gRPC, protobufjs).
 */
export const TRACING_PACKAGES = [
  '@opentelemetry/sdk-node',
  '@opentelemetry/instrumentation',
  '@opentelemetry/instrumentation-http',
  '@opentelemetry/instrumentation-express',
  'import-in-the-middle',
] as const;

/** The packages of {@link TRACING_PACKAGES} that this module cannot resolve. */
function missingTracingPackages(): string[] {
  return TRACING_PACKAGES.filter((name) => {
    try {
      import.meta.resolve(name);
      return false;
    } catch {
      return true;
    }
  });
}

/**
 * Starts OpenTelemetry's Node SDK the way OTel documents for ES modules: the
 * `@opentelemetry/instrumentation/hook.mjs` loader registered with `module.register`
 * (limited to the instrumented modules through import-in-the-middle's message channel),
 * then the SDK with the HTTP instrumentation (server and client: axios, jwks-rsa;
 * `/health*` and `/metrics` not traced) and Express's (the request span named after its
 * route; on Fastify it is named by its method, the path in `url.path`: `@fastify/otel`
 * still requires `@opentelemetry/api` < 1.10), W3C trace context, and the exporter the `OTEL_*` variables choose
 * (OTLP over HTTP/protobuf by default). Traces only: metrics stay Prometheus at
 * `/metrics`, logs stay JSON lines carrying `trace_id` / `span_id`. Returns false and
 * loads nothing when {@link tracingEnabled} is false. Must run before the app's modules
 * load: `node --import <the tracing entry point> main.js`; the app's shutdown calls
 * {@link flushTraces}. Tracing configured without the SDK installed ({@link TRACING_PACKAGES},
 * the package's optional peers) throws an `EnvConfigError` naming the variable that turned it
 * on and the packages to install, before anything loads.
 *
 * @example
 * ```ts
 * // tracing entry point, loaded with --import
 * await startTracing(process.env);
 * ```
 */
export async function startTracing(env: NodeJS.ProcessEnv): Promise<boolean> {
  const variable = tracingSwitch(env);
  if (variable === undefined) return false;
  const missing = missingTracingPackages();
  if (missing.length > 0) {
    throw new EnvConfigError(
      variable,
      `${variable} turns tracing on, which needs OpenTelemetry's SDK: npm install ${missing.join(' ')} (or unset ${variable})`,
    );
  }
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, registerOptions);
  const [
    { NodeSDK },
    { HttpInstrumentation },
    { ExpressInstrumentation, ExpressLayerType: Layer },
  ] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-express'),
  ]);
  const sdk = new NodeSDK({
    instrumentations: [
      // Probes and scrapes, polled every few seconds, would be most of the traces.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => isProbePath(req.url) }),
      // Only what names the request span after its route: no span per middleware layer.
      new ExpressInstrumentation({
        ignoreLayersType: [Layer.MIDDLEWARE, Layer.REQUEST_HANDLER, Layer.ROUTER],
      }),
    ],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  return true;
}

/**
 * Exports the spans still queued (the batch processor sends every few seconds), for an
 * app's shutdown: within {@link FLUSH_DEADLINE_MS}, so an unreachable collector never holds
 * the process. A no-op when tracing is off.
 *
 * @example
 * ```ts
 * onApplicationShutdown() { return flushTraces(); }
 * ```
 */
export async function flushTraces(): Promise<void> {
  const provider = (trace.getTracerProvider() as ProxyTracerProvider).getDelegate?.() as
    { forceFlush?: () => Promise<void> } | undefined;
  if (!provider?.forceFlush) return;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, FLUSH_DEADLINE_MS).unref();
  });
  await Promise.race([provider.forceFlush().catch(() => undefined), deadline]);
  clearTimeout(timer);
}
