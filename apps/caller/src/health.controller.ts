import { Controller, Get, Header } from '@nestjs/common';

/** The legacy probe, kept for older checks (an alias of `/health/live`). No guard runs here. */
@Controller()
export class HealthController {
  @Get('health')
  @Header('Cache-Control', 'no-store')
  health() {
    return { status: 'ok' };
  }
}
