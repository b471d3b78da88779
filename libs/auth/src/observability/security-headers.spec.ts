import { Controller, Get, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { useSecurityHeaders } from './security-headers.js';

@Controller()
class PingController {
  @Get('ping')
  ping() {
    return { ok: true };
  }
}

async function boot(
  adapter: 'express' | 'fastify',
  options?: Parameters<typeof useSecurityHeaders>[1],
) {
  const ref = await Test.createTestingModule({ controllers: [PingController] }).compile();
  const app: INestApplication =
    adapter === 'fastify'
      ? ref.createNestApplication(new FastifyAdapter(), { logger: false })
      : ref.createNestApplication({ logger: false });
  useSecurityHeaders(app, options);
  await app.init();
  if (adapter === 'fastify') {
    await (app.getHttpAdapter().getInstance() as { ready(): Promise<void> }).ready();
  }
  return app;
}

describe.each(['express', 'fastify'] as const)('useSecurityHeaders on %s', (adapter) => {
  it('sends the API policy and the hardening headers, and no X-Powered-By', async () => {
    const app = await boot(adapter);
    const res = await request(app.getHttpServer()).get('/ping').expect(200);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none';frame-ancestors 'none'",
    );
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+; includeSubDomains$/);
    expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
    // Also on answers Nest makes itself.
    const missing = await request(app.getHttpServer()).get('/nowhere').expect(404);
    expect(missing.headers['content-security-policy']).toBe(
      "default-src 'none';frame-ancestors 'none'",
    );
    await app.close();
  });

  it("merges the service's own helmet options over the defaults", async () => {
    const app = await boot(adapter, { strictTransportSecurity: false });
    const res = await request(app.getHttpServer()).get('/ping').expect(200);
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none';frame-ancestors 'none'",
    );
    await app.close();
  });
});
