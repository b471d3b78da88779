import { Logger } from '@nestjs/common';
import { numberOption } from '../shared/number-option.js';
import type { ClientRevocation, RevocationEntry } from './revocation-entry.js';
import type { RevocationStore, RevocationWatch } from './revocation-store.js';
import { RevocationConfigError } from './revocation.errors.js';

/** How a resource server keeps its copy of the fleet's revocation list. */
export interface RevocationListOptions {
  /** Where the list lives (`RedisRevocationStore`, or a store of your own). */
  store: RevocationStore;
  /**
   * How often the copy asks the store whether it changed (a version check; the entries are
   * read only when it did), in case a push was missed. Default 5,000 ms.
   */
  reloadIntervalMs?: number;
  /**
   * How long start-up waits for the first load (requests are refused with 503 until the list
   * has loaded once). Default 3,000 ms.
   */
  startupWaitMs?: number;
}

/**
 * `loading`: never loaded (requests get 503); `live`: the last load succeeded; `stale`: the
 * store is unreachable, the last list is enforced.
 */
export type RevocationState = 'loading' | 'live' | 'stale';

/** A copy's state, for readiness and metrics. */
export interface RevocationStatus {
  state: RevocationState;
  /** Entries held (each at most ~200 bytes: ids are bounded). */
  entries: number;
  /** When the list was last read from the store (epoch ms). */
  loadedAt?: number;
  /** Since when the store has been unreachable (epoch ms), while `stale` or `loading`. */
  failingSince?: number;
  /** Why the store is failing (an error code, never a message). */
  reason?: string;
}

/** Where a list says that its store failed, or answers again (Nest's `Logger` by default). */
export interface RevocationListLogger {
  log(message: string): void;
  warn(message: string): void;
}

/** What a verified token's check answers. */
export type RevocationVerdict = 'ok' | 'revoked' | 'unavailable';

/** An error's code or class name: never a message, which could carry a URL. */
function reasonOf(error: unknown): string {
  const { reason, code } = (error ?? {}) as { reason?: unknown; code?: unknown };
  if (typeof reason === 'string') return reason;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.constructor.name : typeof error;
}

/**
 * A resource server's copy of the fleet's revocation list, kept in step with its store: pushed
 * changes (`watch`) reach it within about a second, and every `reloadIntervalMs` it asks the
 * store for its version and reads the entries when it changed. The check of a verified token
 * is two map look-ups, no I/O: by `jti`, and by `client_id` with `iat` at or before the
 * client's revocation time (a token without `iat` counts as issued before).
 *
 * - Store unreachable: the last list is enforced (`stale`), with one warning per outage; it is
 *   `live` again on the next load that succeeds. Before any load (`loading`), every token is
 *   refused as unavailable (503): a list that might hold it cannot be ignored.
 * - Monotonic: a load adds what the store holds to what this copy held, until each entry
 *   expires, so a store that lost its data does not lift a revocation.
 * - Bounded: at most the store's `maxEntries` entries, each of bounded size.
 *
 * @example
 * ```ts
 * const list = new RevocationList({ store: new RedisRevocationStore({ url }) });
 * await list.start();
 * if (list.check(principal.clientId, principal.claims) === 'revoked') deny();
 * ```
 */
export class RevocationList {
  private readonly logger: RevocationListLogger;
  private readonly now: () => number;
  private readonly store: RevocationStore;
  private readonly reloadIntervalMs: number;
  private readonly startupWaitMs: number;
  /** jti -> when its entry expires (epoch s). */
  private jtis = new Map<string, number>();
  /** client id -> its latest revocation. */
  private clients = new Map<string, ClientRevocation>();
  private version: string | undefined;
  private state: RevocationState = 'loading';
  private loadedAt: number | undefined;
  private failing: { since: number; reason: string } | undefined;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private watching: RevocationWatch | undefined;

  constructor(
    options: RevocationListOptions,
    { now = Date.now, logger }: { now?: () => number; logger?: RevocationListLogger } = {},
  ) {
    this.now = now;
    this.logger = logger ?? new Logger(RevocationList.name);
    const positive = (name: string, value: number | undefined, fallback: number) =>
      numberOption(name, value, fallback, { min: 0, exclusiveMin: true }, (option, why) => {
        throw new RevocationConfigError(option, `revocation ${option} ${why}`);
      });
    this.store = options.store;
    this.reloadIntervalMs = positive('reloadIntervalMs', options.reloadIntervalMs, 5_000);
    this.startupWaitMs = positive('startupWaitMs', options.startupWaitMs, 3_000);
  }

  /** Watches the store, reloads on a schedule, and waits (bounded) for the first load. */
  async start(): Promise<void> {
    this.watching = this.store.watch(() => void this.reload());
    this.timer = setInterval(() => void this.reload(), this.reloadIntervalMs).unref();
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([
      this.reload(),
      new Promise<void>((resolve) => (waited = setTimeout(resolve, this.startupWaitMs))),
    ]);
    clearTimeout(waited);
  }

  /** Stops watching and reloading, and closes the store. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.watching?.close();
    this.store.close();
  }

  /**
   * The verdict on a verified token: `revoked` when its `jti` is listed or its client's tokens
   * issued at or before its `iat` are, `unavailable` before the list first loaded, else `ok`.
   */
  check(clientId: string, claims: Readonly<Record<string, unknown>>): RevocationVerdict {
    if (this.state === 'loading') return 'unavailable';
    if (this.jtis.size === 0 && this.clients.size === 0) return 'ok';
    const now = this.now() / 1000;
    const jti = claims.jti;
    if (typeof jti === 'string') {
      const until = this.jtis.get(jti);
      if (until !== undefined && now < until) return 'revoked';
    }
    const client = this.clients.get(clientId);
    if (client && now < client.expiresAt) {
      const iat = claims.iat;
      if (typeof iat !== 'number' || iat <= client.before) return 'revoked';
    }
    return 'ok';
  }

  status(): RevocationStatus {
    return {
      state: this.state,
      entries: this.jtis.size + this.clients.size,
      ...(this.loadedAt !== undefined && { loadedAt: this.loadedAt }),
      ...(this.failing && { failingSince: this.failing.since, reason: this.failing.reason }),
    };
  }

  /** Reads the store when it changed; one at a time, again once if asked meanwhile. */
  reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    const run = async () => {
      try {
        do {
          this.reloadAgain = false;
          await this.loadOnce();
        } while (this.reloadAgain);
      } finally {
        // In the same step as the last check of `reloadAgain`: no request falls in between.
        this.reloading = undefined;
      }
    };
    this.reloading = run();
    return this.reloading;
  }

  private async loadOnce(): Promise<void> {
    try {
      const snapshot = await this.store.load(this.version);
      if (snapshot.entries) this.replace(snapshot.entries);
      else this.prune();
      this.version = snapshot.version;
      this.loadedAt = this.now();
      if (this.failing) {
        this.logger.log(
          `Revocation list store reachable again: ${this.jtis.size + this.clients.size} entries`,
        );
      }
      this.failing = undefined;
      this.state = 'live';
    } catch (error) {
      const reason = reasonOf(error);
      if (!this.failing) {
        this.failing = { since: this.now(), reason };
        this.logger.warn(
          this.state === 'loading'
            ? `Revocation list not loaded (${reason}): tokens are refused (503) until it loads`
            : `Revocation list store unavailable (${reason}): enforcing the last list ` +
                `(${this.jtis.size + this.clients.size} entries) until it answers again`,
        );
      }
      if (this.state === 'live') this.state = 'stale';
    }
  }

  /** Takes the store's entries, keeping (room permitting) unexpired ones it no longer has. */
  private replace(entries: readonly RevocationEntry[]): void {
    const now = this.now() / 1000;
    const jtis = new Map<string, number>();
    const clients = new Map<string, ClientRevocation>();
    const add = (entry: RevocationEntry) => {
      if (entry.expiresAt <= now) return;
      if (entry.kind === 'jti') {
        jtis.set(entry.jti, Math.max(entry.expiresAt, jtis.get(entry.jti) ?? 0));
      } else {
        const held = clients.get(entry.clientId);
        if (!held || entry.before > held.before) clients.set(entry.clientId, entry);
      }
    };
    for (const entry of entries) add(entry);
    const room = () => jtis.size + clients.size < this.store.maxEntries;
    for (const [jti, expiresAt] of this.jtis) {
      if (!jtis.has(jti) && room()) add({ kind: 'jti', jti, expiresAt });
    }
    for (const entry of this.clients.values()) {
      if (room() || clients.has(entry.clientId)) add(entry);
    }
    this.jtis = jtis;
    this.clients = clients;
  }

  /** Drops expired entries. */
  private prune(): void {
    const now = this.now() / 1000;
    for (const [jti, expiresAt] of this.jtis) if (expiresAt <= now) this.jtis.delete(jti);
    for (const [id, entry] of this.clients) if (entry.expiresAt <= now) this.clients.delete(id);
  }
}
