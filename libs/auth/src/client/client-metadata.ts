/**
 * What a client sends its issuer for a pre token generation trigger (Cognito's
 * `clientMetadata` of a V3 `TokenGeneration_ClientCredentials` event): string keys, string
 * values. Cognito neither stores, validates nor encrypts it: no secrets in it.
 */
export type ClientMetadata = Readonly<Record<string, string>>;

/** The most metadata may take as JSON: it travels in every token request. */
export const MAX_CLIENT_METADATA_BYTES = 4096;

/**
 * `value` checked and in one canonical form (keys sorted, frozen), or `undefined` when it is
 * absent or empty (nothing is sent). Not an object of strings, an empty key or more than
 * {@link MAX_CLIENT_METADATA_BYTES} of JSON: `fail` with why (never the value).
 */
export function canonicalMetadata(
  value: unknown,
  fail: (why: string) => never,
): ClientMetadata | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('must be an object of string values');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return undefined;
  for (const [key, item] of entries) {
    if (key === '') fail('must not have an empty key');
    if (typeof item !== 'string') fail('must be an object of string values');
  }
  const sorted = Object.fromEntries(
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ) as Record<string, string>;
  if (Buffer.byteLength(JSON.stringify(sorted)) > MAX_CLIENT_METADATA_BYTES) {
    fail(`must be at most ${MAX_CLIENT_METADATA_BYTES} bytes as JSON`);
  }
  return Object.freeze(sorted);
}
