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

/** A resource server, as readiness sees it. */
export interface ResourceServerReadiness {
  /**
   * `up` when the server can verify tokens. `keySets`: each key set's state by URL;
   * `revocation`: the revocation list's, when there is one (it never makes the server down
   * once a list has loaded: the last one is enforced).
   */
  readiness(): Promise<{
    up: boolean;
    keySets: Record<string, string>;
    revocation?: { up: boolean } & Record<string, unknown>;
  }>;
}

/** Provided by `ResourceServerModule` for the resource server's readiness indicator. */
export const RESOURCE_SERVER_READINESS = Symbol('RESOURCE_SERVER_READINESS');

/** An M2M client's token provider, as readiness sees it. */
export interface TokenReadiness {
  readiness(): Promise<ProbeResult>;
}

/** The injection token of the token provider of the M2M client named `name`. */
export function tokenProviderToken(name = 'default'): string {
  return `M2M_TOKEN_PROVIDER:${name}`;
}
