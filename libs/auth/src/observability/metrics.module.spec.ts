import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Counter, Registry } from 'prom-client';
import request from 'supertest';
import { MetricsModule } from './metrics.module.js';

@Controller()
class CountingController {
  private readonly hits: Counter;
  constructor(registry: Registry) {
    this.hits = new Counter({ name: 'demo_hits_total', help: 'hits', registers: [registry] });
  }
  @Get('hit')
  hit() {
    this.hits.inc();
    return {};
  }
}

async function boot(service: string): Promise<INestApplication> {
  const ref = await Test.createTestingModule({
    imports: [MetricsModule.forRoot({ defaultLabels: { service }, collectDefaultMetrics: false })],
    controllers: [CountingController],
  }).compile();
  const app = ref.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('MetricsModule', () => {
  it('serves its own registry per app, in the Prometheus text format', async () => {
    const [a, b] = await Promise.all([boot('a'), boot('b')]);
    await request(a.getHttpServer()).get('/hit').expect(200);
    await request(a.getHttpServer()).get('/hit').expect(200);
    const scrapeA = await request(a.getHttpServer()).get('/metrics').expect(200);
    const scrapeB = await request(b.getHttpServer()).get('/metrics').expect(200);
    expect(scrapeA.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(scrapeA.headers['cache-control']).toBe('no-store');
    expect(scrapeA.text).toContain('demo_hits_total{service="a"} 2');
    expect(scrapeB.text).toContain('demo_hits_total{service="b"} 0');
    await Promise.all([a.close(), b.close()]);
  });
});
