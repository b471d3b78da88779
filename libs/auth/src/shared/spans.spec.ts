import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  TracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace';
import { traceLogFields } from '../observability/trace-log-fields.js';
import { inSpan } from './spans.js';

const exporter = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager();

describe('inSpan and traceLogFields', () => {
  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(
      new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
    );
  });
  afterAll(() => {
    trace.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  it('nests spans started inside, ends them when the promise settles, and logs their ids', async () => {
    const seen: ReturnType<typeof traceLogFields>[] = [];
    const result = await inSpan('outer', { 'oauth.client_id': 'svc' }, async () => {
      seen.push(traceLogFields());
      await new Promise((resolve) => setTimeout(resolve, 5));
      return inSpan('inner', {}, () => {
        seen.push(traceLogFields());
        return 42;
      });
    });
    expect(result).toBe(42);
    const [inner, outer] = exporter.getFinishedSpans();
    expect([inner.name, outer.name]).toEqual(['inner', 'outer']);
    expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(outer.attributes).toEqual({ 'oauth.client_id': 'svc' });
    expect(seen[0]).toEqual({
      trace_id: outer.spanContext().traceId,
      span_id: outer.spanContext().spanId,
      trace_flags: '01',
    });
    expect(seen[1].span_id).toBe(inner.spanContext().spanId);
    expect(traceLogFields()).toEqual({});
  });

  it('marks a span failed by the error code, never its message', async () => {
    const error = Object.assign(new Error('secret=hunter2 rejected'), { code: 'invalid_client' });
    await expect(inSpan('fails', {}, () => Promise.reject(error))).rejects.toBe(error);
    expect(() =>
      inSpan('throws', {}, () => {
        throw new TypeError('token eyJhbGciOi...');
      }),
    ).toThrow(TypeError);
    const [rejected, thrown] = exporter.getFinishedSpans();
    expect(rejected.status).toEqual({ code: 2, message: 'invalid_client' });
    expect(thrown.status).toEqual({ code: 2, message: 'TypeError' });
    expect(JSON.stringify([rejected.events, thrown.events])).not.toMatch(/hunter2|eyJ/);
  });
});
