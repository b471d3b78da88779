import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CognitoIdpError } from './cognito-idp.error.js';
import { InitiateAuthService } from './initiate-auth.service.js';

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';
const AMZ_JSON = 'application/x-amz-json-1.1';

/** `POST /` — the Cognito Identity Provider JSON API (only InitiateAuth). */
@Controller()
export class InitiateAuthController {
  constructor(@Inject(InitiateAuthService) private readonly service: InitiateAuthService) {}

  @Post()
  @HttpCode(200)
  async dispatch(@Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const target = req.headers['x-amz-target'];
    if (target !== `${TARGET_PREFIX}InitiateAuth`) {
      throw new CognitoIdpError(
        'UnknownOperationException',
        typeof target === 'string' ? `Unknown operation ${target}` : 'Missing X-Amz-Target header',
      );
    }
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (mediaType !== AMZ_JSON && mediaType !== 'application/json') {
      throw new CognitoIdpError('SerializationException', `Content-Type must be ${AMZ_JSON}`);
    }
    let input: unknown;
    try {
      input = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
    } catch (cause) {
      throw new CognitoIdpError('SerializationException', 'the request body is not valid JSON', {
        cause,
      });
    }
    const result = await this.service.initiateAuth(input);
    void res.status(200).type(AMZ_JSON).send(JSON.stringify(result));
  }
}
