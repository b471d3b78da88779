import { Controller, Get } from '@nestjs/common';
import { AnyValidToken, Principal, Public } from '@nest-m2m-cognito/auth/resource-server';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProtected } from './docs/api-docs.decorators.js';
import { PrincipalDto, StatusDto } from './docs/api-docs.dto.js';

@Controller()
export class WhoamiController {
  /** Any valid token, no scope: who the token says the caller is. */
  @ApiTags('identity')
  @ApiOperation({ summary: 'Who the token says the caller is (any valid token, no scope)' })
  @ApiOkResponse({ description: 'The verified principal', type: PrincipalDto })
  @ApiProtected()
  @AnyValidToken()
  @Get('whoami')
  whoami(@Principal() principal: Principal): Principal {
    return principal;
  }

  @Public()
  @ApiTags('health')
  @ApiOperation({ summary: 'Liveness (alias of /health/live, kept for older probes)' })
  @ApiOkResponse({ description: 'The process serves HTTP', type: StatusDto })
  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
