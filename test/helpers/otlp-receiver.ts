import { createServer, type Server } from 'node:http';

/** One span as an OTLP/HTTP JSON export carries it, flattened with its service's name. */
export interface ReceivedSpan {
  service: string;
  scope: string;
  name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client. */
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, string | number | boolean | undefined>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: number;
}

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface ExportRequest {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        name: string;
        kind: number;
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        attributes?: KeyValue[];
        status?: { code?: number };
      }[];
    }[];
  }[];
}

const value = (v: AnyValue) =>
  v.stringValue ??
  (v.intValue === undefined ? undefined : Number(v.intValue)) ??
  v.doubleValue ??
  v.boolValue;

const attributes = (list: KeyValue[] = []) =>
  Object.fromEntries(list.map((a) => [a.key, value(a.value)]));

/**
 * A real OTLP/HTTP receiver on loopback (the JSON encoding, `OTEL_EXPORTER_OTLP_PROTOCOL=
 * http/json`): `POST /v1/traces` answers 200 as a collector does, and keeps every span.
 * Anything else answers 404 and is counted in `rejected`.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Export requests received (`POST /v1/traces`). */
  exports = 0;
  rejected = 0;

  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        this.rejected++;
        res.writeHead(404).end();
        return;
      }
      this.exports++;
      this.collect(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportRequest);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  /** `http://127.0.0.1:<port>`: the `OTEL_EXPORTER_OTLP_ENDPOINT` to give the services. */
  url = '';

  static async start(): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.server.address() as { port: number };
    receiver.url = `http://127.0.0.1:${port}`;
    return receiver;
  }

  private collect(body: ExportRequest): void {
    for (const rs of body.resourceSpans ?? []) {
      const service = String(attributes(rs.resource?.attributes)['service.name'] ?? '');
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          this.spans.push({
            service,
            scope: ss.scope?.name ?? '',
            name: s.name,
            kind: s.kind,
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId || undefined,
            attributes: attributes(s.attributes),
            status: s.status?.code ?? 0,
          });
        }
      }
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
