import { Public } from '@app/auth';
import { Controller, Get, Header } from '@nestjs/common';

@Public()
@Controller()
export class HealthController {
  @Get('health')
  @Header('Cache-Control', 'no-store')
  health() {
    return { status: 'ok' };
  }
}
