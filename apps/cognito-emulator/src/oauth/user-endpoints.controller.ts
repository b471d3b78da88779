import { Controller, Get, Header, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseTokenForm } from './token-request.js';
import { RevocationService } from './revocation.service.js';
import { type UserInfo, UserInfoService } from './user-info.service.js';

/** `POST /oauth2/revoke` and `GET|POST /oauth2/userInfo`, the user-facing OAuth endpoints. */
@Controller('oauth2')
export class UserEndpointsController {
  constructor(
    @Inject(RevocationService) private readonly revocation: RevocationService,
    @Inject(UserInfoService) private readonly users: UserInfoService,
  ) {}

  @Post('revoke')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  revoke(@Req() req: FastifyRequest, @Res() res: FastifyReply): void {
    const form = parseTokenForm(req.headers['content-type'], req.body);
    this.revocation.revoke(form, req.headers.authorization);
    void res.status(200).send();
  }

  @Get('userInfo')
  @Header('Cache-Control', 'no-store')
  userInfo(@Req() req: FastifyRequest): Promise<UserInfo> {
    return this.users.userInfo(req.headers.authorization);
  }

  @Post('userInfo')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  userInfoPost(@Req() req: FastifyRequest): Promise<UserInfo> {
    return this.users.userInfo(req.headers.authorization);
  }
}
