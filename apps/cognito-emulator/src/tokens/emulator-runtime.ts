import type { IssuerType } from '@app/fleet-auth';
import { Inject, Injectable } from '@nestjs/common';
import { PoolStore } from '../pool/pool-store.js';
import { awsIssuerHostOf, issuerBases } from './issuer-forms.js';

/**
 * Where the emulator is reachable, and its issuer. With PORT=0 the port is only known after
 * `listen`, so bootstrap fills this in before the URL is handed to anyone. The issuer follows
 * the pool's issuer type (changed by UpdateUserPool) when the base imitates Cognito's hosts
 * ({@link issuerBases}).
 */
@Injectable()
export class EmulatorRuntime {
  private baseUrl = '';
  private bases: Readonly<Record<IssuerType, string>> = { ORIGINAL: '', UPDATED: '' };
  readonly userPoolId: string;

  constructor(
    @Inject(PoolStore) private readonly pool: Pick<PoolStore, 'userPoolId' | 'settings'>,
  ) {
    this.userPoolId = pool.userPoolId;
  }

  setBase(base: string): void {
    this.baseUrl = base.replace(/\/+$/, '');
    this.bases = issuerBases(this.baseUrl);
  }

  /** The public base URL: what a pool's domain is to real Cognito (`/oauth2/*`). */
  get base(): string {
    return this.baseUrl;
  }

  /** The `iss` of the tokens issued now: the pool's issuer type's form. */
  get issuer(): string {
    return this.issuerOf(this.pool.settings.issuerType);
  }

  /**
   * Every issuer of this pool, whichever its type: tokens of the other form stay in flight
   * after UpdateUserPool changes the type, until they expire.
   */
  get issuers(): readonly string[] {
    return [...new Set([this.issuerOf('ORIGINAL'), this.issuerOf('UPDATED')])];
  }

  /**
   * The issuer a request to `host` (its `Host` header) is addressed to: the form whose host
   * it names, when the emulator imitates Cognito's hosts; otherwise the current issuer.
   */
  issuerAt(host: string | undefined): string {
    const aws = awsIssuerHostOf(hostnameOf(host));
    return aws && this.bases.ORIGINAL !== this.bases.UPDATED
      ? this.issuerOf(aws.type)
      : this.issuer;
  }

  get tokenUrl(): string {
    return `${this.baseUrl}/oauth2/token`;
  }

  private issuerOf(type: IssuerType): string {
    return `${this.bases[type]}/${this.userPoolId}`;
  }
}

/** The host name of a `Host` header (`name[:port]`); empty when there is none or it is malformed. */
function hostnameOf(host: string | undefined): string {
  if (host === undefined) return '';
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return '';
  }
}
