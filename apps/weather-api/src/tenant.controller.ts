import { Controller, Get } from '@nestjs/common';
import {
  AnyValidToken,
  claim,
  Principal,
  RequireClaim,
} from '@nest-m2m-cognito/auth/resource-server';
import { ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProtected } from './docs/api-docs.decorators.js';
import { AuthErrorDto, TenantDto } from './docs/api-docs.dto.js';

/** The tenant a pre token generation trigger adds to a client's access tokens. */
export const TenantId = claim('tenant_id');

@Controller()
export class TenantController {
  /** Any valid token that carries a tenant: which tenant it is. */
  @ApiTags('identity')
  @ApiOperation({
    summary: "The caller's tenant (any valid token carrying the tenant_id claim)",
  })
  @ApiOkResponse({ description: 'The tenant named by the token', type: TenantDto })
  @ApiForbiddenResponse({
    description: 'The token carries no tenant_id claim (insufficient_scope)',
    type: AuthErrorDto,
  })
  @ApiProtected()
  @AnyValidToken()
  @RequireClaim(TenantId)
  @Get('tenant')
  tenant(@Principal() principal: Principal): TenantDto {
    // @RequireClaim made sure it is there, a string.
    return { tenant: TenantId.of(principal) as string };
  }
}
