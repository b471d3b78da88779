import {
  BadRequestException,
  Controller,
  Get,
  type INestApplication,
  Param,
  Post,
} from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { MetricsModule } from './metrics.module.js';
import { useHttpMetrics } from './http-metrics.js';

@Controller('items')
class ItemsController {
  @Get(':id')
  get(@Param('id') id: string) {
    return { id };
  }

  @Post()
  add(): never {
    throw new BadRequestException();
  }
}

async function boot(adapter: 'express' | 'fastify'): Promise<INestApplication> {
  const ref = await Test.createTestingModule({
    imports: [MetricsModule.forRoot({ collectDefaultMetrics: false })],
    controllers: [ItemsController],
  }).compile();
  const app =
    adapter === 'fastify'
      ? ref.createNestApplication(new FastifyAdapter(), { logger: false })
      : ref.createNestApplication({ logger: false });
  useHttpMetrics(app);
  await app.init();
  if (adapter === 'fastify')
    await (app.getHttpAdapter().getInstance() as { ready(): Promise<void> }).ready();
  return app;
}

/** The value of one series in a Prometheus text scrape (undefined when absent). */
function sample(scrape: string, series: string): number | undefined {
  const line = scrape.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe.each(['express', 'fastify'] as const)('useHttpMetrics on %s', (adapter) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await boot(adapter);
  });
  afterAll(() => app.close());

  it('counts each request by method, route template and status class, with one latency sample each', async () => {
    const http = app.getHttpServer();
    await request(http).get('/items/1').expect(200);
    await request(http).get('/items/2').expect(200);
    await request(http).get('/items/3').expect(200);
    await request(http).post('/items').expect(400);
    await request(http).get('/nowhere/secret-path').expect(404);
    await request(http).get('/nowhere/else').expect(404);

    const scrape = (await request(http).get('/metrics').expect(200)).text;
    const series = (name: string, method: string, route: string, status: string) =>
      sample(scrape, `${name}{method="${method}",route="${route}",status_class="${status}"}`);
    expect(series('http_requests_total', 'GET', '/items/:id', '2xx')).toBe(3);
    expect(series('http_request_duration_seconds_count', 'GET', '/items/:id', '2xx')).toBe(3);
    expect(series('http_requests_total', 'POST', '/items', '4xx')).toBe(1);
    expect(series('http_request_duration_seconds_count', 'POST', '/items', '4xx')).toBe(1);
    expect(series('http_requests_total', 'GET', 'unmatched', '4xx')).toBe(2);
    expect(
      series('http_request_duration_seconds_bucket', 'GET', 'unmatched', '4xx'),
    ).toBeUndefined();
    // Raw paths never become labels; the scrape being answered is not counted yet.
    expect(scrape).not.toContain('secret-path');
    expect(scrape).not.toContain('route="/metrics"');
    const total = scrape
      .split('\n')
      .filter((l) => l.startsWith('http_requests_total{'))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    expect(total).toBe(6);
  });
});
