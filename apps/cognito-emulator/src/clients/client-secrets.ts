import type { PoolClient } from '@app/fleet-auth';
import { Inject, Injectable } from '@nestjs/common';
import { PoolStore } from '../pool/pool-store.js';
import { matchesDigest, sha256 } from '../shared/secrets.js';

// A well-formed secret to compare against for unknown clients, so they cost the same.
const DUMMY_DIGEST = sha256('x'.repeat(52));

/** One reading of the credentials a request presents: a client id and, maybe, a secret. */
export interface PresentedCredentials {
  id: string | undefined;
  secret?: string;
}

/** What the presented credentials prove. */
export interface SecretCheck {
  /** The client the first reading naming a known client names. */
  known: PoolClient | undefined;
  /** Whether that reading presented a secret (a public client must not). */
  presentedSecret: boolean;
  /** The confidential client whose secret one of the readings matched. */
  authenticated: PoolClient | undefined;
}

/**
 * The one check of a client's secret, for every way a client authenticates: the token and
 * revocation endpoints (`client_secret_basic`, `client_secret_post`) and GetClientToken.
 * Every reading is compared in constant time (against a dummy digest for unknown and
 * public clients), so whether a client exists never shows in the timing.
 */
@Injectable()
export class ClientSecrets {
  constructor(@Inject(PoolStore) private readonly pool: PoolStore) {}

  check(readings: readonly PresentedCredentials[]): SecretCheck {
    const outcomes = readings.map((r) => {
      const client = r.id === undefined ? undefined : this.pool.client(r.id);
      const expected = (r.id !== undefined && this.pool.secretDigest(r.id)) || DUMMY_DIGEST;
      const matches = r.secret !== undefined && matchesDigest(r.secret, expected);
      return { client, presentedSecret: r.secret !== undefined, matches };
    });
    const known = outcomes.find((o) => o.client !== undefined);
    const accepted = outcomes.find((o) => o.client?.clientSecret && o.matches);
    return {
      known: known?.client,
      presentedSecret: known?.presentedSecret ?? false,
      authenticated: accepted?.client,
    };
  }
}
