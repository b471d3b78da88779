import { entryOf, type RevocationEntry, type RevocationRequest } from './revocation-entry.js';
import type { RevocationStore } from './revocation-store.js';

/**
 * Revokes, fleet-wide: writes one entry to the revocation list every resource server of the
 * fleet enforces (within about a second of the write; see `RevocationList`). By `jti`, one
 * token (until its `expiresAt` when given, else for the longest token lifetime, a day); by
 * `clientId`, every token of that client issued at or before `before` (default now; as `iat`
 * counts, to the second), so the tokens a client gets after its secret is rotated pass. Cognito
 * itself cannot revoke an access token.
 *
 * The request is checked first: a malformed one throws a `RevocationInputError` naming the
 * field, and nothing is written. Resolves to the entry written.
 *
 * @example
 * ```ts
 * const store = new RedisRevocationStore({ url: process.env.AUTH_REVOCATION_REDIS_URL! });
 * await revoke(store, { clientId: 'weather-caller' });          // its tokens issued until now
 * await revoke(store, { jti: '4d2c...-9b1e', expiresAt: new Date('2030-01-01T10:00:00Z') });
 * store.close();
 * ```
 */
export async function revoke(
  store: RevocationStore,
  request: RevocationRequest,
  { now = Date.now() }: { now?: number } = {},
): Promise<RevocationEntry> {
  const entry = entryOf(request, now);
  await store.add([entry]);
  return entry;
}
