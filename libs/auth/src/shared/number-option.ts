/** The bounds a numeric option must keep. */
export interface NumberBounds {
  /** Smallest allowed value. Default 0. */
  min?: number;
  /** True: `min` itself is refused (a value must be greater). */
  exclusiveMin?: boolean;
  /** Largest allowed value. Default: no limit (but always finite). */
  max?: number;
  /** True: whole numbers only. */
  integer?: boolean;
}

/** What a value must be, in words, for an error message: `an integer >= 1`, `an integer (1-20)`. */
export function describeBounds(bounds: NumberBounds): string {
  const { min = 0, exclusiveMin = false, max, integer = false } = bounds;
  if (integer && max !== undefined && !exclusiveMin) return `an integer (${min}-${max})`;
  const kind = integer ? 'an integer' : 'a number';
  if (max !== undefined) return `${kind} ${exclusiveMin ? '>' : '>='} ${min} and <= ${max}`;
  return `${kind} ${exclusiveMin ? '>' : '>='} ${min}`;
}

/** True when `value` is finite and within `bounds`. */
export function withinBounds(value: number, bounds: NumberBounds): boolean {
  const { min = 0, exclusiveMin = false, max, integer = false } = bounds;
  if (!Number.isFinite(value)) return false;
  if (integer && !Number.isSafeInteger(value)) return false;
  if (exclusiveMin ? value <= min : value < min) return false;
  return max === undefined || value <= max;
}

/**
 * The one check of a numeric option (module options and environment variables alike):
 * `value`, or `fallback` when it is undefined, must be finite and within `bounds`; otherwise
 * `fail` is called with the option's name and what it must be (never the value). Exported
 * by `@nest-m2m-cognito/auth/observability` for the fleet's own settings (the emulator's
 * numeric variables), so a service checks numbers the way the library does.
 *
 * @example
 * ```ts
 * const leaseMs = numberOption('leaseMs', options.leaseMs, 3_000, { min: 10 }, fail);
 * ```
 */
export function numberOption(
  name: string,
  value: number | undefined,
  fallback: number,
  bounds: NumberBounds,
  fail: (name: string, why: string) => never,
): number {
  const v = value ?? fallback;
  if (!withinBounds(v, bounds)) fail(name, `must be ${describeBounds(bounds)}`);
  return v;
}
