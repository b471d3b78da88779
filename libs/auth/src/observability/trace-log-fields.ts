import { isSpanContextValid, trace } from '@opentelemetry/api';

/** What a log line carries of the active span, in OpenTelemetry's log field names. */
export interface TraceLogFields {
  trace_id?: string;
  span_id?: string;
  trace_flags?: string;
}

/**
 * `trace_id`, `span_id` and `trace_flags` of the active span, for pino's `mixin` (so a log
 * line can be found from its trace and back); nothing outside a span or with tracing off.
 * A new object each call: pino merges the line's own fields into it.
 * Library-internal.
 */
export function traceLogFields(): TraceLogFields {
  const context = trace.getActiveSpan()?.spanContext();
  if (!context || !isSpanContextValid(context)) return {};
  return {
    trace_id: context.traceId,
    span_id: context.spanId,
    trace_flags: context.traceFlags.toString(16).padStart(2, '0'),
  };
}
