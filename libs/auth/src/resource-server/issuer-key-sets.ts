import type { KeyObject } from 'node:crypto';
import type { OnModuleDestroy } from '@nestjs/common';
import {
  type JwksFetchListener,
  JwksKeyStore,
  type JwksKeyStoreOptions,
} from './jwks-key-store.js';
import { TokenIssuerError, TokenMalformedError } from './resource-server.errors.js';
import type { KeySetSource } from './resource-server.options.js';

/** Each key set's state for readiness, by its URL. */
export type KeySetStates = Record<string, 'up' | 'unreachable' | 'not in use'>;

/**
 * The `iss` of a compact JWS, read from its payload: only to pick the key set before the
 * signature is checked, never trusted (the verified claims are checked again).
 */
function unverifiedIssuer(token: string): unknown {
  const start = token.indexOf('.') + 1;
  const end = token.indexOf('.', start);
  try {
    const claims: unknown = JSON.parse(
      Buffer.from(token.slice(start, end), 'base64url').toString('utf8'),
    );
    return (claims as { iss?: unknown } | null)?.iss;
  } catch (cause) {
    throw new TokenMalformedError('the token is malformed', { cause });
  }
}

/**
 * The trusted issuers and their key sets: one {@link JwksKeyStore} (own URL, own cache) per
 * issuer, or one for all of them when the options name a single `jwksUri`. A token's `iss`
 * picks its key set before any key is looked up, so an issuer that is not trusted never
 * causes a fetch; with a single key set `iss` is read early only when a fetch would
 * follow (the key not published), and otherwise checked after the signature only.
 */
export class IssuerKeySets implements OnModuleDestroy {
  private readonly byIssuer = new Map<string, JwksKeyStore>();
  private readonly stores: readonly JwksKeyStore[];
  /** The key set, when there is only one. */
  private readonly only: JwksKeyStore | undefined;

  constructor(
    options: Omit<JwksKeyStoreOptions, 'jwksUri'> & { keySets: readonly KeySetSource[] },
    onFetch?: JwksFetchListener,
  ) {
    this.stores = options.keySets.map((source) => {
      const store = new JwksKeyStore({ ...options, jwksUri: source.jwksUri }, onFetch);
      for (const issuer of source.issuers) this.byIssuer.set(issuer, store);
      return store;
    });
    this.only = this.stores.length === 1 ? this.stores[0] : undefined;
  }

  onModuleDestroy(): void {
    for (const store of this.stores) store.onModuleDestroy();
  }

  /**
   * The key set a token signed with `kid` is verified with: that of its `iss`. Throws
   * `TokenIssuerError` for an issuer that is not trusted, before any fetch. With one key set
   * that already publishes `kid` no fetch can follow, so `iss` is not read here (it is checked
   * after the signature): the common path decodes the token once.
   */
  keySetOf(token: string, kid: string): JwksKeyStore {
    if (this.only?.publishedKey(kid)) return this.only;
    const store = this.trusted(unverifiedIssuer(token));
    if (!store) throw new TokenIssuerError('the token issuer is not trusted');
    return store;
  }

  /** The key set of a trusted issuer; `undefined` for any other value. */
  trusted(issuer: unknown): JwksKeyStore | undefined {
    return typeof issuer === 'string' ? this.byIssuer.get(issuer) : undefined;
  }

  /** The key `kid` of `issuer`'s key set, when it is published in a fresh set (no I/O). */
  publishedKey(issuer: unknown, kid: string): KeyObject | undefined {
    return this.trusted(issuer)?.publishedKey(kid);
  }

  /**
   * Readiness: ready when a key set is usable and every key set that has served keys still
   * can. Until one has loaded, every set is probed; after that, a set that never loaded (the
   * form of the pool's issuer not in use, say) is not probed again: a token naming its issuer
   * fetches it when one comes.
   */
  async readiness(): Promise<{ up: boolean; keySets: KeySetStates }> {
    const anyLoaded = this.stores.some((store) => store.loaded);
    const ready = await Promise.all(
      this.stores.map((store) =>
        store.loaded || !anyLoaded ? store.isReady() : Promise.resolve(undefined),
      ),
    );
    const keySets: KeySetStates = {};
    this.stores.forEach((store, i) => {
      keySets[store.jwksUri] =
        ready[i] === undefined ? 'not in use' : ready[i] ? 'up' : 'unreachable';
    });
    const up =
      ready.some((r) => r === true) &&
      this.stores.every((store, i) => ready[i] !== false || !store.loaded);
    return { up, keySets };
  }
}
