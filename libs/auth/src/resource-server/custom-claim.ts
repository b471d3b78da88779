import type { Principal } from './principal.decorator.js';

/** The value of claim `name` of a verified token: its own property only (never an inherited one). */
export function claimValue(principal: Readonly<Principal>, name: string): unknown {
  return Object.hasOwn(principal.claims, name) ? principal.claims[name] : undefined;
}

/** The JSON types a custom claim is declared with, and the TypeScript type each reads as. */
export interface ClaimTypes {
  string: string;
  number: number;
  boolean: boolean;
  'string[]': readonly string[];
}

/** A claim type's name: `'string'`, `'number'`, `'boolean'` or `'string[]'`. */
export type ClaimType = keyof ClaimTypes;

/** The check of each claim type. */
export const IS_CLAIM_TYPE: { [K in ClaimType]: (value: unknown) => value is ClaimTypes[K] } = {
  string: (value): value is string => typeof value === 'string',
  number: (value): value is number => typeof value === 'number' && Number.isFinite(value),
  boolean: (value): value is boolean => typeof value === 'boolean',
  'string[]': (value): value is readonly string[] =>
    Array.isArray(value) && value.every((item) => typeof item === 'string'),
};

/**
 * A custom claim of the issuer's tokens (one a Cognito pre token generation trigger adds, say),
 * declared once with its JSON type: routes require it with `@RequireClaim(claim, ...)`, handlers
 * read it typed with {@link CustomClaim.of}.
 */
export interface CustomClaim<T> {
  readonly name: string;
  readonly type: ClaimType;
  /** The claim's value in the verified token, when present and of the declared type. */
  of(principal: Readonly<Principal>): T | undefined;
}

/**
 * Declares a custom claim: its name and JSON type (default `'string'`).
 *
 * @example
 * ```ts
 * export const TenantId = claim('tenant_id');
 * export const Entitlements = claim('entitlements', 'string[]');
 *
 * @Scopes('inventory-api/items.read')
 * @RequireClaim(TenantId)
 * @Get()
 * list(@Principal() caller: Principal) {
 *   return this.items.of(TenantId.of(caller)); // string | undefined (here always a string)
 * }
 * ```
 */
export function claim(name: string): CustomClaim<string>;
export function claim<K extends ClaimType>(name: string, type: K): CustomClaim<ClaimTypes[K]>;
export function claim(name: string, type: ClaimType = 'string'): CustomClaim<unknown> {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError('claim(): the claim name must be a non-empty string');
  }
  const is = Object.hasOwn(IS_CLAIM_TYPE, type) ? IS_CLAIM_TYPE[type] : undefined;
  if (!is) throw new TypeError(`claim(): "${String(type)}" is not a claim type`);
  return Object.freeze({
    name,
    type,
    of: (principal: Readonly<Principal>) => {
      const value = claimValue(principal, name);
      return is(value) ? value : undefined;
    },
  });
}
