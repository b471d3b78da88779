import {
  Controller,
  HttpCode,
  Inject,
  type OnModuleInit,
  Optional,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorConfig } from '../config/emulator-config.js';
import { AWS_OPERATIONS, EMULATOR_CONFIG } from '../emulator.tokens.js';
import { PoolStore } from '../pool/pool-store.js';
import { StateFile } from '../pool/state-file.js';
import { TokenQuotaByOperation, TokenQuotaGuard } from '../tokens/token-quota.guard.js';
import type { AwsOperation, AwsOperations } from './aws-operation.js';
import { CognitoIdpError } from './cognito-idp.error.js';

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';
const AMZ_JSON = 'application/x-amz-json-1.1';

/**
 * `POST /`: the Cognito Identity Provider API in the AWS JSON 1.1 protocol the AWS SDK
 * speaks. Every request goes the same way: the operation named by `X-Amz-Target` (in the
 * registry, and of the data plane unless COGNITO_EMULATOR_ADMIN=true; otherwise
 * `UnknownOperationException`), the media type, the JSON, the operation's input shape, its
 * service, and for an operation that persists, the state file. SigV4 signatures are not
 * verified. Operations declared with `tokenQuota` (GetClientToken) share the token
 * endpoint's quota.
 */
@Controller()
export class AwsJsonController implements OnModuleInit {
  /** The operations served, each with its service; filled once the providers exist. */
  private readonly served = new Map<string, { operation: AwsOperation; service: unknown }>();

  constructor(
    @Inject(AWS_OPERATIONS) private readonly operations: AwsOperations,
    @Inject(EMULATOR_CONFIG) private readonly config: EmulatorConfig,
    @Inject(ModuleRef) private readonly providers: ModuleRef,
    @Inject(PoolStore) private readonly pool: PoolStore,
    @Optional() @Inject(StateFile) private readonly state: StateFile | undefined,
  ) {}

  /** Finds each served operation's service: one missing from the providers fails start-up. */
  onModuleInit(): void {
    for (const [name, operation] of Object.entries(this.operations)) {
      if (operation.plane === 'control' && !this.config.admin) continue;
      this.served.set(name, { operation, service: this.providers.get(operation.service) });
    }
  }

  @Post()
  @HttpCode(200)
  @UseGuards(TokenQuotaGuard)
  @TokenQuotaByOperation(true)
  async dispatch(@Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const target = req.headers['x-amz-target'];
    const served =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? this.served.get(target.slice(TARGET_PREFIX.length))
        : undefined;
    if (!served) {
      throw new CognitoIdpError(
        'UnknownOperationException',
        typeof target === 'string' ? `Unknown operation ${target}` : 'Missing X-Amz-Target header',
      );
    }
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (mediaType !== AMZ_JSON && mediaType !== 'application/json') {
      throw new CognitoIdpError('SerializationException', `Content-Type must be ${AMZ_JSON}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
    } catch (cause) {
      throw new CognitoIdpError('SerializationException', 'the request body is not valid JSON', {
        cause,
      });
    }
    const { operation, service } = served;
    const agent = req.headers['x-amz-user-agent'] ?? req.headers['user-agent'];
    const result = await operation.answer(service, operation.input.parse(body), {
      userAgent: typeof agent === 'string' ? agent : undefined,
    });
    if (operation.persists) await this.state?.save(this.pool.overlay());
    void res
      .status(200)
      .type(AMZ_JSON)
      .send(JSON.stringify(result ?? {}));
  }
}
