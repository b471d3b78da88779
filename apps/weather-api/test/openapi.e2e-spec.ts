import { Validator } from '@seriousme/openapi-schema-validator';
import { startEmulator } from '../../cognito-emulator/src/bootstrap.js';
import { startWeatherApi } from '../src/bootstrap.js';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
type WeatherApi = Awaited<ReturnType<typeof startWeatherApi>>;
interface Operation {
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
  requestBody?: unknown;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, unknown>;
    securitySchemes: Record<
      string,
      { type: string; flows?: { clientCredentials?: { tokenUrl: string; scopes: object } } }
    >;
  };
}

let emulator: Emulator;
let api: WeatherApi;
let doc: Document;

beforeAll(async () => {
  emulator = await startEmulator({ PORT: '0', LOG_LEVEL: 'warn' });
  api = await startWeatherApi({ PORT: '0', AUTH_ISSUER: emulator.issuer, LOG_LEVEL: 'warn' });
  const res = await fetch(`${api.url}/docs-json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as Document;
});

afterAll(async () => {
  await api.close();
  await emulator.close();
});

describe('weather-api OpenAPI document', () => {
  it('validates against the OpenAPI 3 schema', async () => {
    const result = await new Validator().validate(
      doc as unknown as Parameters<Validator['validate']>[0],
    );
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toMatch(/^3\./);
  });

  it('documents every route', () => {
    const routes = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        'GET /weatherforecast',
        'POST /weatherforecast',
        'GET /whoami',
        'GET /tenant',
        'GET /health',
        'GET /health/live',
        'GET /health/ready',
        'GET /metrics',
      ].sort(),
    );
  });

  it('offers the client-credentials flow at the configured token URL', () => {
    const oauth2 = doc.components.securitySchemes.oauth2;
    expect(oauth2.type).toBe('oauth2');
    expect(oauth2.flows?.clientCredentials?.tokenUrl).toBe(emulator.tokenUrl);
    expect(Object.keys(oauth2.flows?.clientCredentials?.scopes ?? {}).sort()).toEqual([
      'weather-api/forecast.read',
      'weather-api/forecast.write',
    ]);
    expect(doc.components.securitySchemes.bearer.type).toBe('http');
  });

  it('names the scopes and the error answers per operation', () => {
    const read = doc.paths['/weatherforecast'].get;
    const write = doc.paths['/weatherforecast'].post;
    const whoami = doc.paths['/whoami'].get;
    expect(read.security).toContainEqual({ oauth2: ['weather-api/forecast.read'] });
    expect(write.security).toContainEqual({ oauth2: ['weather-api/forecast.write'] });
    expect(whoami.security).toContainEqual({ oauth2: [] });
    expect(Object.keys(read.responses).sort()).toEqual(['200', '400', '401', '403', '503']);
    expect(Object.keys(write.responses).sort()).toEqual(['201', '400', '401', '403', '413', '503']);
    expect(Object.keys(whoami.responses).sort()).toEqual(['200', '400', '401', '503']);
    const tenant = doc.paths['/tenant'].get;
    expect(tenant.security).toContainEqual({ oauth2: [] });
    expect(Object.keys(tenant.responses).sort()).toEqual(['200', '400', '401', '403', '503']);
    for (const op of [read, write, whoami, tenant]) {
      for (const status of ['401', '503']) {
        expect(op.responses[status].content?.['application/json'].schema).toEqual({
          $ref: '#/components/schemas/AuthErrorDto',
        });
      }
    }
    expect(write.requestBody).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ObservationDto' } } },
    });
    // Probes and the legacy alias are public: no security requirement.
    for (const path of ['/health', '/health/live', '/health/ready']) {
      expect(doc.paths[path].get.security).toBeUndefined();
    }
  });

  it("describes the library's probes: 200 up, 503 down, with terminus's result", () => {
    for (const path of ['/health/live', '/health/ready']) {
      const probe = doc.paths[path].get;
      expect(Object.keys(probe.responses).sort()).toEqual(['200', '503']);
      for (const status of ['200', '503']) {
        expect(probe.responses[status].content?.['application/json'].schema).toEqual({
          $ref: '#/components/schemas/HealthCheckResultDto',
        });
      }
    }
    expect(doc.components.schemas.HealthCheckResultDto).toMatchObject({
      required: ['status', 'details'],
      properties: { status: { enum: ['ok', 'error', 'shutting_down'] } },
    });
  });

  it('serves Swagger UI at /docs without a token, while the API still needs one', async () => {
    const page = await fetch(`${api.url}/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui');
    expect((await fetch(`${api.url}/weatherforecast`)).status).toBe(401);
  });
});
