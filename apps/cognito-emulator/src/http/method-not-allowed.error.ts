/** A known path asked with the wrong method; rendered as 405 with an `Allow` header. */
export class MethodNotAllowedError extends Error {
  readonly code = 'method_not_allowed';
  constructor(
    readonly method: string,
    readonly allow: readonly string[],
  ) {
    super(`method ${method} not allowed; use ${allow.join(', ')}`);
    this.name = 'MethodNotAllowedError';
  }
}
