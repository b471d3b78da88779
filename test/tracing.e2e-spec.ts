import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  launchService,
  localWiring,
  type Readiness,
  root,
  type ServiceProcess,
  tracingImport,
} from '../scripts/lib/fleet.mjs';
import { OtlpReceiver, type ReceivedSpan } from './helpers/otlp-receiver.js';
import { READ_CLIENT, TEST_ENV, WRITE_CLIENT } from './helpers/process-fleet.js';

// The built services as real processes, each loading its tracing entry point as npm start
// and the image do, exporting to a real OTLP/HTTP receiver on loopback. The batch
// processor's delay is a minute, so every span arrives through the flush at shutdown.
const INTERNAL = 1;
const SERVER = 2;
const CLIENT = 3;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const execFileAsync = promisify(execFile);

/** Starts `app` with its tracing entry point, as npm start and the image do, until `until`. */
function start(app: string, env: Record<string, string>, until: Readiness = 'ready') {
  return launchService(app, { env: { ...TEST_ENV, ...env }, until });
}

describe('traces across the fleet (OpenTelemetry, W3C trace context)', () => {
  let receiver: OtlpReceiver;
  const procs: ServiceProcess[] = [];
  let status: number;
  let spans: ReceivedSpan[];
  let callerOutput: string;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '60000',
    };
    const emulator = await start('cognito-emulator', otel);
    procs.push(emulator);
    const urls = { 'cognito-emulator': emulator.url };
    const api = await start('weather-api', { ...otel, ...localWiring('weather-api', urls) });
    procs.push(api);
    // Alive, not ready: readiness would fetch the tokens, and the call must find a cold cache.
    const caller = await start(
      'caller',
      { ...otel, ...localWiring('caller', { ...urls, 'weather-api': api.url }) },
      'live',
    );
    procs.push(caller);

    const res = await fetch(`${caller.url}/forecast`, {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
    });
    status = res.status;
    await res.arrayBuffer();
    for (const proc of procs.reverse()) await proc.stop(10_000);
    callerOutput = caller.output;
    spans = receiver.spans.filter((s) => s.traceId === TRACE_ID);
  }, 90_000);

  afterAll(async () => {
    for (const proc of procs) await proc.stop(1000);
    await receiver?.close();
  });

  const one = (service: string, kind: number, name: string | RegExp) => {
    const found = spans.filter(
      (s) =>
        s.service === service &&
        s.kind === kind &&
        (typeof name === 'string' ? s.name === name : name.test(s.name)),
    );
    expect(found, `${service} ${kind} ${String(name)}`).toHaveLength(1);
    return found[0];
  };

  it('continues the incoming trace through the caller, its token request and weather-api, with the auth decision', () => {
    expect(status).toBe(200);
    const callerRequest = one('caller', SERVER, 'GET /forecast');
    expect(callerRequest.parentSpanId).toBe(PARENT_ID);

    // The token request on a cold cache: the provider's span, its HTTP client span, and the
    // emulator's server span.
    const token = one('caller', INTERNAL, 'm2m.token');
    expect(token.parentSpanId).toBe(callerRequest.spanId);
    expect(token.attributes).toEqual({
      'oauth.client_id': READ_CLIENT.id,
      'oauth.scope': 'weather-api/forecast.read',
      'm2m.token.transport': 'token-endpoint',
      'm2m.token.source': 'fetch',
    });
    const tokenCall = one('caller', CLIENT, 'POST');
    expect(tokenCall.parentSpanId).toBe(token.spanId);
    expect(tokenCall.attributes['url.full']).toMatch(/\/oauth2\/token$/);
    // Fastify's request spans are named by method (no Fastify instrumentation: see tracing.ts).
    const tokenEndpoint = one('cognito-emulator', SERVER, 'POST');
    expect(tokenEndpoint.attributes['url.path']).toBe('/oauth2/token');
    expect(tokenEndpoint.parentSpanId).toBe(tokenCall.spanId);

    // The call to weather-api: caller's client span -> weather-api's server span.
    const apiCall = one('caller', CLIENT, 'GET');
    expect(apiCall.attributes['url.full']).toMatch(/\/weatherforecast$/);
    const apiRequest = one('weather-api', SERVER, 'GET /weatherforecast');
    expect(apiRequest.parentSpanId).toBe(apiCall.spanId);
    expect(apiRequest.attributes['http.response.status_code']).toBe(200);
    const decision = one('weather-api', INTERNAL, 'auth.decision');
    expect(decision.parentSpanId).toBe(apiRequest.spanId);
    expect(decision.attributes).toEqual({ 'auth.outcome': 'allowed', 'auth.reason': 'ok' });

    // Every span of the trace hangs off another of its spans, or off the caller's parent.
    const ids = new Set([PARENT_ID, ...spans.map((s) => s.spanId)]);
    for (const s of spans) expect(ids.has(s.parentSpanId ?? ''), s.name).toBe(true);
  });

  it('exports no secret and no token, and traces no probe', () => {
    const exported = JSON.stringify(receiver.spans);
    expect(exported).not.toContain(READ_CLIENT.secret);
    expect(exported).not.toContain(WRITE_CLIENT.secret);
    expect(exported).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\./);
    expect(
      receiver.spans.filter((s) => s.kind === SERVER && /\/(health|metrics)/.test(s.name)),
    ).toEqual([]);
  });

  it("writes the trace's ids on the caller's log lines", () => {
    const line = callerOutput
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map(
        (l) =>
          JSON.parse(l) as {
            msg?: string;
            trace_id?: string;
            span_id?: string;
            req?: { url?: string };
          },
      )
      .find((l) => l.req?.url === '/forecast');
    expect(line).toMatchObject({ msg: 'request completed', trace_id: TRACE_ID });
    expect(line?.span_id).toBe(one('caller', SERVER, 'GET /forecast').spanId);
  });
});

describe('tracing off', () => {
  const apiGlobals = async (env: Record<string, string>) => {
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        ...tracingImport('weather-api'),
        '-e',
        "console.log(JSON.stringify(Object.keys(globalThis[Symbol.for('opentelemetry.js.api.1')] ?? {})))",
      ],
      { cwd: root, env: { PATH: process.env.PATH, ...env } },
    );
    return JSON.parse(stdout) as string[];
  };

  it('starts no SDK without an exporter, and one with an OTLP endpoint', async () => {
    expect(await apiGlobals({})).toEqual([]);
    expect(await apiGlobals({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toEqual([]);
    expect(await apiGlobals({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' })).toContain(
      'trace',
    );
  });

  it('exports nothing with OTEL_TRACES_EXPORTER=none, whatever the endpoint', async () => {
    const receiver = await OtlpReceiver.start();
    const api = await start(
      'weather-api',
      {
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '10',
        AUTH_ISSUER: 'http://127.0.0.1:9/us-east-1_Weather01',
      },
      'live',
    );
    try {
      for (let i = 0; i < 3; i++) {
        expect((await fetch(`${api.url}/weatherforecast`)).status).toBe(401);
      }
    } finally {
      await api.stop(10_000);
      await receiver.close();
    }
    expect(receiver.exports + receiver.rejected).toBe(0);
    expect(api.output).not.toContain('"trace_id"');
  });
});
