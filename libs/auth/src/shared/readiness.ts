/**
 * What the resource-server and client parts offer to readiness probes, so the
 * observability part can probe them without importing either (dependencies point one
 * way: both sides depend on this file only). Library-internal.
 */

/**
 * Outcome of one readiness probe. `store`: how a client's token store is doing, when it
 * has something to say (a shared cache that is unavailable does not make a client down).
 */
export type ProbeResult = { up: true; store?: string } | { up: false; reason: string };

/** A resource server's key set, as readiness sees it. */
export interface KeySetReadiness {
  isReady(): Promise<boolean>;
}

/** Provided by `ResourceServerModule` (its key store) for the key-set readiness indicator. */
export const KEY_SET_READINESS = Symbol('KEY_SET_READINESS');

/** An M2M client's token provider, as readiness sees it. */
export interface TokenReadiness {
  readiness(): Promise<ProbeResult>;
}

/** The injection token of the token provider of the M2M client named `name`. */
export function tokenProviderToken(name = 'default'): string {
  return `M2M_TOKEN_PROVIDER:${name}`;
}
