import { Controller, Get } from '@nestjs/common';
import { Principal, Public } from '@app/auth';

@Controller()
export class WhoamiController {
  /** Any valid token, no scope: who the token says the caller is. */
  @Get('whoami')
  whoami(@Principal() principal: Principal): Principal {
    return principal;
  }

  @Public()
  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
