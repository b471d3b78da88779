import { Reflector } from '@nestjs/core';
import { claimValue, type CustomClaim, IS_CLAIM_TYPE } from './custom-claim.js';
import type { Principal } from './principal.decorator.js';

/** One claim a route requires. */
export interface ClaimRequirement {
  /** The claim's name (named in the 403's description; never its value). */
  readonly claim: string;
  /** Whether the verified token's value of the claim meets the requirement. */
  satisfiedBy(principal: Readonly<Principal>): boolean;
}

/**
 * The typed metadata behind `@RequireClaim()`: a handler's or controller's requirements. Read
 * with `reflector.getAllAndMerge(RequiredClaims, [handler, controller])`: they all apply.
 */
export const RequiredClaims = Reflector.createDecorator<readonly ClaimRequirement[]>();

/** A claim value `@RequireClaim` can compare with. */
export type ClaimScalar = string | number | boolean;

/**
 * What a claim's value must be: equal to a value (or, for a list claim, contain it), one of
 * several values (or contain one of them), or pass a predicate.
 */
export type ClaimExpectation<T> =
  (T extends readonly (infer E)[] ? E | readonly E[] : T | readonly T[]) | ClaimPredicate<T>;

function isList(
  expected: ClaimScalar | readonly ClaimScalar[],
): expected is readonly ClaimScalar[] {
  return Array.isArray(expected);
}

/** Whether `value` (a claim's) is `expected`, or a list holding it. */
function holds(value: unknown, expected: ClaimScalar): boolean {
  return value === expected || (Array.isArray(value) && value.includes(expected));
}

/** A predicate on a claim's value. */
type ClaimPredicate<T> = (value: T, principal: Readonly<Principal>) => boolean;

function requirement(
  claim: string,
  isOfType: (value: unknown) => boolean,
  expected: ClaimScalar | readonly ClaimScalar[] | ClaimPredicate<unknown> | undefined,
): ClaimRequirement {
  const test: (value: unknown, principal: Readonly<Principal>) => boolean =
    expected === undefined
      ? () => true
      : typeof expected === 'function'
        ? expected
        : isList(expected)
          ? (value) => expected.some((one) => holds(value, one))
          : (value) => holds(value, expected);
  return Object.freeze({
    claim,
    satisfiedBy(principal: Readonly<Principal>) {
      const value = claimValue(principal, claim);
      if (value === undefined || value === null || !isOfType(value)) return false;
      try {
        return test(value, principal) === true;
      } catch {
        // A predicate that cannot judge this value refuses it.
        return false;
      }
    },
  });
}

/**
 * Narrows a route (or every route of a controller) to tokens carrying a claim: present (and of
 * its declared type, for a {@link CustomClaim}), and, when given, equal to a value, one of
 * several (a list claim: holding one), or passing a predicate. Otherwise 403 with
 * `WWW-Authenticate: Bearer error="insufficient_scope"` (RFC 6750 §3.1: the token lacks the
 * privileges the route needs), naming the claim, never its value. Stack as many as needed; a
 * controller's and its handlers' all apply.
 *
 * It is not an access policy by itself: the route still declares `@Scopes(...)` or
 * `@AnyValidToken()` (start-up fails otherwise, and on a `@Public()` route, where no token is
 * checked).
 *
 * @example
 * ```ts
 * const TenantId = claim('tenant_id');
 *
 * @Scopes('inventory-api/items.read')
 * @RequireClaim(TenantId)                                  // any tenant
 * @RequireClaim('entitlements', 'inventory')               // a list claim holding this value
 * @RequireClaim(TenantId, (id) => id.startsWith('t-'))    // a typed predicate
 * @Get()
 * list(@Principal() caller: Principal) { return this.items.of(TenantId.of(caller)); }
 * ```
 */
export function RequireClaim<T>(
  claim: CustomClaim<T>,
  expected?: ClaimExpectation<T>,
): ClassDecorator & MethodDecorator;
export function RequireClaim(
  name: string,
  expected?: ClaimScalar | readonly ClaimScalar[] | ClaimPredicate<unknown>,
): ClassDecorator & MethodDecorator;
export function RequireClaim(
  claim: string | CustomClaim<unknown>,
  expected?: ClaimScalar | readonly ClaimScalar[] | ClaimPredicate<unknown>,
): ClassDecorator & MethodDecorator {
  const named = typeof claim === 'string';
  const name = named ? claim : claim.name;
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError('@RequireClaim(): the claim name must be a non-empty string');
  }
  const added = requirement(name, named ? () => true : IS_CLAIM_TYPE[claim.type], expected);
  return (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    // Stacked decorators add up: each keeps the requirements applied before it.
    const on = (descriptor?.value ?? target) as object;
    const before = Reflect.getOwnMetadata(RequiredClaims.KEY, on) as
      readonly ClaimRequirement[] | undefined;
    RequiredClaims([...(before ?? []), added])(target, key as string | symbol, descriptor!);
  };
}
