import { clientSecretsOf, MAX_CLIENT_SECRETS, type PoolClient } from '@app/fleet-auth';
import { Inject, Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { PoolStore } from '../pool/pool-store.js';
import { matchesAnyDigest, secretsEqual } from '../shared/secrets.js';

// HMAC key of the SECRET_HASH compared in place of a missing secret; its match never counts.
const PADDING_SECRET = 'x'.repeat(51);

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
  /** The confidential client one of whose active secrets one of the readings matched. */
  authenticated: PoolClient | undefined;
}

/** Cognito's SECRET_HASH: Base64(HMAC-SHA256(secret, username + clientId)). */
export function secretHash(secret: string, clientId: string, username: string): string {
  return createHmac('sha256', secret)
    .update(username + clientId)
    .digest('base64');
}

/**
 * The one check of a client's secret, for every way a client proves it: the token and
 * revocation endpoints (`client_secret_basic`, `client_secret_post`), GetClientToken and
 * InitiateAuth's `SECRET_HASH`. Any of the client's active secrets (Cognito keeps up to two,
 * for rotation) is accepted, a deleted one fails from the moment it is deleted. Comparisons
 * are constant-time and as many whether the client exists, has one secret or two, and
 * whichever matched, so none of that shows in the timing.
 */
@Injectable()
export class ClientSecrets {
  constructor(@Inject(PoolStore) private readonly pool: PoolStore) {}

  /** Checks every reading (a second exists only for credentials holding "%" or "+"). */
  check(readings: readonly PresentedCredentials[]): SecretCheck {
    const outcomes = readings.map((r) => {
      const client = r.id === undefined ? undefined : this.pool.client(r.id);
      const digests = r.id === undefined ? [] : this.pool.secretDigests(r.id);
      const presentedSecret = r.secret !== undefined;
      const matches = matchesAnyDigest(r.secret ?? '', digests, MAX_CLIENT_SECRETS);
      return { client, presentedSecret, matches: matches && presentedSecret };
    });
    const known = outcomes.find((o) => o.client !== undefined);
    const accepted = outcomes.find((o) => o.client?.clientSecret && o.matches);
    return {
      known: known?.client,
      presentedSecret: known?.presentedSecret ?? false,
      authenticated: accepted?.client,
    };
  }

  /**
   * Whether `presented` is the SECRET_HASH of `client` for one of `usernames` (Cognito takes
   * the username or, on refresh, the user's sub), made with any of its active secrets.
   */
  matchesSecretHash(client: PoolClient, presented: string, usernames: readonly string[]): boolean {
    const secrets = clientSecretsOf(client);
    let matched = false;
    for (let i = 0; i < Math.max(MAX_CLIENT_SECRETS, secrets.length); i++) {
      const secret = secrets[i];
      for (const username of usernames) {
        const hash = secretHash(secret ?? PADDING_SECRET, client.clientId, username);
        matched = (secretsEqual(presented, hash) && secret !== undefined) || matched;
      }
    }
    return matched;
  }
}
