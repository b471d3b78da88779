import { Inject, Injectable } from '@nestjs/common';
import { PoolStore } from '../pool/pool-store.js';

/**
 * Where the emulator is reachable. With PORT=0 the port is only known after
 * `listen`, so bootstrap fills this in before the URL is handed to anyone.
 */
@Injectable()
export class EmulatorRuntime {
  private baseUrl = '';
  readonly userPoolId: string;

  constructor(@Inject(PoolStore) pool: Pick<PoolStore, 'userPoolId'>) {
    this.userPoolId = pool.userPoolId;
  }

  setBase(base: string): void {
    this.baseUrl = base.replace(/\/+$/, '');
  }

  /** The public base URL: what a pool's domain is to real Cognito (`/oauth2/*`). */
  get base(): string {
    return this.baseUrl;
  }

  get issuer(): string {
    return `${this.baseUrl}/${this.userPoolId}`;
  }

  get tokenUrl(): string {
    return `${this.baseUrl}/oauth2/token`;
  }

  get jwksUri(): string {
    return `${this.issuer}/.well-known/jwks.json`;
  }
}
