/** Largest request body of the OAuth endpoints and everything else; larger ones get 413. */
export const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * Largest request body of `POST /`, the Cognito API: a CreateResourceServer with Cognito's
 * 100 scopes, or an app client with its 100 callback URLs, is tens of KiB.
 */
export const IDP_BODY_LIMIT_BYTES = 256 * 1024;

/** The body limit of a route, by its path. */
export function bodyLimitOf(path: string): number {
  return path === '/' ? IDP_BODY_LIMIT_BYTES : BODY_LIMIT_BYTES;
}
