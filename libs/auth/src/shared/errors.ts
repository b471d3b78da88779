/**
 * The convention every error of the library follows: a stable lower-snake `code`, the
 * underlying `cause` (never a secret), and `name` set to the class name, here, once.
 */
export abstract class LibraryError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * An environment variable is missing or invalid. Thrown by the `*FromEnv` helpers at
 * start-up, before the app listens; the message and `variable` name the variable, never
 * its value.
 *
 * @example
 * ```ts
 * try { resourceServerOptionsFromEnv(process.env); } catch (e) {
 *   if (e instanceof EnvConfigError) console.error(`fix ${e.variable}: ${e.message}`);
 * }
 * ```
 */
export class EnvConfigError extends LibraryError {
  readonly code = 'invalid_config';

  constructor(
    /** The variable at fault, e.g. `AUTH_ISSUER`. */
    readonly variable: string,
    why: string,
    options?: ErrorOptions,
  ) {
    super(`Invalid configuration: ${why}`, options);
  }
}
