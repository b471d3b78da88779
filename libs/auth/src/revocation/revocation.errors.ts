import { LibraryError } from '../shared/errors.js';

/**
 * A revocation request is malformed: an empty or oversized `jti`, a client id Cognito would
 * not issue, a time that is not one, in the future, or so old that every token it names has
 * expired. Nothing was written. `field` names the part at fault.
 *
 * @example
 * ```ts
 * try { await revoke(store, { clientId: 'weather caller' }); } catch (e) {
 *   if (e instanceof RevocationInputError) console.error(`${e.field}: ${e.message}`);
 * }
 * ```
 */
export class RevocationInputError extends LibraryError {
  readonly code = 'invalid_revocation';

  constructor(
    readonly field: 'jti' | 'clientId' | 'before' | 'expiresAt' | 'request',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The list holds as many entries as its bound allows: nothing was written. Entries leave as
 * the tokens they name expire (within a day); raise `maxEntries` (every reader's bound too)
 * or revoke by client instead of token by token.
 *
 * @example
 * ```ts
 * try { await revoke(store, { jti }); } catch (e) {
 *   if (e instanceof RevocationListFullError) await revoke(store, { clientId });
 * }
 * ```
 */
export class RevocationListFullError extends LibraryError {
  readonly code = 'revocation_list_full';

  constructor(readonly maxEntries: number) {
    super(`the revocation list is full (${maxEntries} entries): nothing was written`);
  }
}

/**
 * A revocation store or list option is invalid (a key prefix with spaces, a bound that is not
 * a positive integer). Thrown at construction; `option` names it.
 *
 * @example
 * ```ts
 * try { new RedisRevocationStore({ url, keyPrefix: 'my fleet' }); } catch (e) {
 *   if (e instanceof RevocationConfigError) console.error(`fix ${e.option}`);
 * }
 * ```
 */
export class RevocationConfigError extends LibraryError {
  readonly code = 'invalid_options';

  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}
