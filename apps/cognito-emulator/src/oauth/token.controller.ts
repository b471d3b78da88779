import { All, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { MethodNotAllowedError } from '../http/method-not-allowed.error.js';
import { EmulatorMetrics } from '../metrics/emulator-metrics.js';
import { OAuthError } from './oauth.error.js';
import { parseTokenForm } from './token-request.js';
import { TokenService, type TokenResponse } from './token.service.js';

@Controller('oauth2/token')
export class TokenController {
  constructor(
    @Inject(TokenService) private readonly tokens: TokenService,
    private readonly metrics: EmulatorMetrics,
  ) {}

  @Post()
  @HttpCode(200)
  async token(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TokenResponse> {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
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

  @All()
  other(@Req() req: Request): never {
    throw new MethodNotAllowedError(req.method, ['POST']);
  }
}
