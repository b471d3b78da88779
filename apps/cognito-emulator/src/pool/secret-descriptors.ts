/** One of a client's active secrets as Cognito describes it (`ClientSecretDescriptorType`), without its value. */
export interface ClientSecretDescriptor {
  /** Cognito's `ClientSecretId`: `<client-id>--<epoch-create-time>`, the time in milliseconds. */
  id: string;
  /** Unix milliseconds (Cognito's `ClientSecretCreateDate`). */
  createdAt: number;
}

/**
 * The descriptor of a secret made at `nowMs` for a client that has `existing` ones: created
 * after each of them (a millisecond later when the clock has not moved on), so that ids stay
 * unique and creation order is list order.
 */
export function nextSecretDescriptor(
  clientId: string,
  existing: readonly ClientSecretDescriptor[],
  nowMs: number,
): ClientSecretDescriptor {
  const createdAt = existing.reduce((at, s) => Math.max(at, s.createdAt + 1), nowMs);
  return { id: `${clientId}--${createdAt}`, createdAt };
}

/** Descriptors for `count` secrets made at `nowMs`, oldest first (a pool file's clients). */
export function secretDescriptors(
  clientId: string,
  count: number,
  nowMs: number,
): ClientSecretDescriptor[] {
  const out: ClientSecretDescriptor[] = [];
  for (let i = 0; i < count; i++) out.push(nextSecretDescriptor(clientId, out, nowMs));
  return out;
}

/**
 * The value DescribeUserPoolClient shows as `ClientSecret`: the secret `describedSecretId`
 * names (the one the client was created with), while it is among the client's secrets.
 */
export function describedSecret(
  values: readonly string[],
  meta: { secrets: readonly ClientSecretDescriptor[]; describedSecretId: string | null },
): string | undefined {
  const i = meta.secrets.findIndex((s) => s.id === meta.describedSecretId);
  return i < 0 ? undefined : values[i];
}
