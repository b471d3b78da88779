import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IDP_OPERATIONS } from '../emulator.tokens.js';
import { CognitoIdpError } from './cognito-idp.error.js';

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';
const AMZ_JSON = 'application/x-amz-json-1.1';

/** An operation of the Cognito Identity Provider API: parsed JSON in, JSON out. */
export type IdpOperations = ReadonlyMap<string, (input: unknown) => Promise<object>>;

/**
 * `POST /` — the Cognito Identity Provider API in the AWS JSON 1.1 protocol the AWS SDK
 * speaks: `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`. InitiateAuth
 * always; the control plane only with COGNITO_EMULATOR_ADMIN=true. SigV4 signatures are
 * not verified.
 */
@Controller()
export class IdentityProviderController {
  constructor(@Inject(IDP_OPERATIONS) private readonly operations: IdpOperations) {}

  @Post()
  @HttpCode(200)
  async dispatch(@Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const target = req.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? this.operations.get(target.slice(TARGET_PREFIX.length))
        : undefined;
    if (!operation) {
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
    const result = await operation(input);
    void res.status(200).type(AMZ_JSON).send(JSON.stringify(result));
  }
}
