import { Controller, HttpCode, Inject, Logger, Post } from '@nestjs/common';
import { KeyStore } from '../keys/key-store.js';

/** Test and demo hooks; only mounted when COGNITO_EMULATOR_ADMIN=true. */
@Controller('_emulator')
export class AdminController {
  private readonly logger = new Logger(AdminController.name);

  constructor(@Inject(KeyStore) private readonly keys: KeyStore) {}

  @Post('rotate-keys')
  @HttpCode(200)
  async rotateKeys(): Promise<{
    kid: string;
    idTokenKid: string;
    retired: { kid: string; retireAt: number }[];
  }> {
    const result = await this.keys.rotate();
    this.logger.log(
      `rotated signing keys: access tokens ${result.kid}, ID tokens ${result.idTokenKid}`,
    );
    return result;
  }
}
