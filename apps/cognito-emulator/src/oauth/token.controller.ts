import { Controller, Header, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { EmulatorMetrics } from '../metrics/emulator-metrics.js';
import { OAuthError } from './oauth.error.js';
import { TokenQuotaGuard } from '../tokens/token-quota.guard.js';
import { parseTokenForm } from './token-request.js';
import { TokenService, type TokenResponse } from './token.service.js';

@Controller('oauth2/token')
@UseGuards(TokenQuotaGuard)
export class TokenController {
  constructor(
    @Inject(TokenService) private readonly tokens: TokenService,
    private readonly metrics: EmulatorMetrics,
  ) {}

  @Post()
  @HttpCode(200)
  // On success; the exception filter sets them on errors.
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  async token(@Req() req: FastifyRequest): Promise<TokenResponse> {
    let form: Map<string, string> | undefined;
    try {
      form = parseTokenForm(req.headers['content-type'], req.body);
      const { client, response } = await this.tokens.token(form, req.headers.authorization);
      this.metrics.tokenRequest(client.clientId, form.get('grant_type'), 'success');
      return response;
    } catch (err) {
      if (err instanceof OAuthError) {
        this.metrics.tokenRequest(
          err.clientId ?? form?.get('client_id'),
          form?.get('grant_type'),
          err.code,
        );
      }
      throw err;
    }
  }
}
