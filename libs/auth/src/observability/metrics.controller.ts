import { Controller, Get, Header, Res } from '@nestjs/common';
import { Registry } from 'prom-client';
import { Public } from '../shared/public.decorator.js';

/** What Express's `Response` and Fastify's `FastifyReply` both offer. */
interface Reply {
  type(contentType: string): { send(body: string): unknown };
}

@Public()
@Controller()
export class MetricsController {
  constructor(private readonly registry: Registry) {}

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() res: Reply): Promise<void> {
    res.type(this.registry.contentType).send(await this.registry.metrics());
  }
}
