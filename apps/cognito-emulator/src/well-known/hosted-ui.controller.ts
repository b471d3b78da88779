import { All, Controller, NotFoundException, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { pathOf } from '../http/token-cors.js';

/**
 * The managed login (hosted UI) endpoints a real pool's discovery document advertises and
 * the emulator does not emulate: `/oauth2/authorize` and `/logout`. They answer 404 naming
 * what is missing, rather than a bare "not found" that looks like a wrong URL.
 */
@Controller()
export class HostedUiController {
  @All(['oauth2/authorize', 'logout'])
  notEmulated(@Req() req: FastifyRequest): never {
    throw new NotFoundException(
      `${pathOf(req.url)} is managed login (the hosted UI), which the emulator does not emulate: ` +
        'it issues tokens by client credentials (/oauth2/token) and InitiateAuth only',
    );
  }
}
