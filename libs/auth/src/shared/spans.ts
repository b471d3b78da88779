import { type Attributes, type Span, SpanStatusCode, trace } from '@opentelemetry/api';

/** The instrumentation scope of the library's own spans. */
const TRACER = '@nest-m2m-cognito/auth';

/** Marks `span` failed by the error's stable code or name, never its message (no secrets). */
function fail(span: Span, error: unknown): void {
  const code = (error as { code?: unknown } | undefined)?.code;
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: typeof code === 'string' ? code : error instanceof Error ? error.name : 'error',
  });
}

/**
 * Records a moment as a span of its own (started and ended at once), a child of the active
 * span: a decision taken inside a request, for instance. `failed` marks it an error.
 * Library-internal.
 */
export function markSpan(name: string, attributes: Attributes, failed = false): void {
  const span = trace.getTracer(TRACER).startSpan(name, { attributes });
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/**
 * Runs `fn` inside a new active span (so HTTP calls it makes are its children) and ends the
 * span when `fn` returns or its promise settles; a throw or rejection marks it failed. With
 * no OpenTelemetry SDK started, the span is `@opentelemetry/api`'s no-op: next to nothing.
 * Library-internal.
 */
export function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => T): T {
  return trace.getTracer(TRACER).startActiveSpan(name, { attributes }, (span) => {
    let result: T;
    try {
      result = fn(span);
    } catch (error) {
      fail(span, error);
      span.end();
      throw error;
    }
    if (!(result instanceof Promise)) {
      span.end();
      return result;
    }
    return result.then(
      (value: unknown) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        fail(span, error);
        span.end();
        throw error;
      },
    ) as T;
  });
}
