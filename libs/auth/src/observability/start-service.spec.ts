import { Body, Controller, type INestApplication, Module, Post } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { IsInt, Max } from 'class-validator';
import { slowBodyClient, slowHeaderClient } from '../../../../test/helpers/hostile-peers.js';
import { EnvConfigError } from '../shared/errors.js';
import { LoggingModule } from './logging.module.js';
import { startService, StartServiceError } from './start-service.js';

class CountDto {
  @IsInt()
  @Max(10)
  count!: number;
}

@Controller()
class CountController {
  @Post('count')
  count(@Body() body: CountDto) {
    return { count: body.count, dto: body instanceof CountDto };
  }
}

@Module({
  imports: [LoggingModule.forRoot({ service: 'start-service-spec', level: 'silent' })],
  controllers: [CountController],
})
class AppModule {}

describe('startService', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const post = (url: string, body: string) =>
    fetch(`${url}/count`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  it('answers unreadable bodies and invalid DTOs as 4xx JSON, one way, and hides X-Powered-By', async () => {
    const service = await startService(AppModule, { env: { PORT: '0' }, bodyLimit: '1kb' });
    app = service.app;
    expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const ok = await post(service.url, '{"count":3}');
    expect(ok.status).toBe(201);
    expect(ok.headers.get('x-powered-by')).toBeNull();
    expect(await ok.json()).toEqual({ count: 3, dto: true });

    const malformed = await post(service.url, '{"count":');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({
      error: 'invalid_request',
      error_description: 'the request body is not valid JSON',
    });

    const huge = await post(service.url, JSON.stringify({ count: 1, pad: 'x'.repeat(2048) }));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toEqual({
      error: 'payload_too_large',
      error_description: 'the request body is too large',
    });

    const invalid = await post(service.url, '{"count":11,"extra":true}');
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { error: string; fields: { field: string }[] };
    expect(body.error).toBe('invalid_request');
    expect(body.fields.map((f) => f.field).sort()).toEqual(['count', 'extra']);
  });

  it('refuses a bad PORT, naming it, before creating anything', async () => {
    await expect(startService(AppModule, { env: { PORT: 'eighty' } })).rejects.toThrow(
      expect.objectContaining({ variable: 'PORT' }) as EnvConfigError,
    );
  });

  it('says what is missing when the module has no logging', async () => {
    @Module({})
    class Bare {}
    await expect(startService(Bare, { env: { PORT: '0' } })).rejects.toBeInstanceOf(
      StartServiceError,
    );
  });

  it('refuses httpsOptions with a Fastify adapter, which would serve plain HTTP', async () => {
    await expect(
      startService(AppModule, {
        env: { PORT: '0' },
        adapter: new FastifyAdapter(),
        httpsOptions: { key: 'k', cert: 'c' },
      }),
    ).rejects.toThrow(
      expect.objectContaining({
        code: 'invalid_options',
        message: expect.stringContaining('new FastifyAdapter({ https })') as string,
      }) as StartServiceError,
    );
  });

  it("passes Nest's application options through, as nest new's main.ts gives them", async () => {
    const decorated: string[] = [];
    const service = await startService(AppModule, {
      env: { PORT: '0' },
      appOptions: {
        instrument: {
          instanceDecorator: (instance: unknown) => {
            decorated.push((instance as object).constructor.name);
            return instance;
          },
        },
        cors: { origin: 'https://app.example' },
      },
    });
    app = service.app;
    expect(decorated).toContain('CountController');
    const preflight = await fetch(`${service.url}/count`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    // Its own settings hold: the DTO is still validated, the body limit still applies.
    expect((await post(service.url, '{"count":11}')).status).toBe(400);
  });

  it('refuses application options it sets itself, naming them', async () => {
    await expect(
      startService(AppModule, {
        env: { PORT: '0' },
        appOptions: { bodyParser: true, bufferLogs: false } as object,
      }),
    ).rejects.toThrow(
      expect.objectContaining({
        code: 'invalid_options',
        message: expect.stringContaining('cannot set bodyParser, bufferLogs') as string,
      }) as StartServiceError,
    );
  });

  it.each([
    ['Express', undefined],
    ['Fastify', () => new FastifyAdapter()],
  ])('closes slow clients within the HTTP_* deadlines on %s', async (_name, adapter) => {
    const service = await startService(AppModule, {
      env: { PORT: '0', HTTP_HEADERS_TIMEOUT_MS: '300', HTTP_REQUEST_TIMEOUT_MS: '600' },
      adapter: adapter?.(),
    });
    app = service.app;
    const slow = { intervalMs: 50, giveUpMs: 5000, path: '/count' };
    const [headers, body] = await Promise.all([
      slowHeaderClient(service.url, slow),
      slowBodyClient(service.url, slow),
    ]);
    // Deadlines are checked every headersTimeout/4 here; the rest is slack for a busy machine.
    expect(headers.closedAfterMs).toBeLessThan(300 + 1500);
    expect(body.closedAfterMs).toBeGreaterThanOrEqual(550);
    expect(body.closedAfterMs).toBeLessThan(600 + 1500);
    for (const { response } of [headers, body]) expect(response).toMatch(/^HTTP\/1\.1 408 /);
  });

  it.each([
    [{ HTTP_REQUEST_TIMEOUT_MS: '0' }, 'HTTP_REQUEST_TIMEOUT_MS'],
    [{ HTTP_KEEP_ALIVE_TIMEOUT_MS: 'soon' }, 'HTTP_KEEP_ALIVE_TIMEOUT_MS'],
    [{ HTTP_HEADERS_TIMEOUT_MS: '20000' }, 'HTTP_HEADERS_TIMEOUT_MS'],
  ])('refuses bad server timeouts %o, naming the variable', async (env, variable) => {
    await expect(startService(AppModule, { env: { PORT: '0', ...env } })).rejects.toThrow(
      expect.objectContaining({ variable }) as EnvConfigError,
    );
  });
});
