import { EnvConfigError } from './errors.js';
import { describeBounds, type NumberBounds, withinBounds } from './number-option.js';

/** Printable ASCII scope tokens (RFC 6749 §3.3), one space between them. */
const SCOPES = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/;

/**
 * Typed reads of an environment object (never `process.env` implicitly): empty or blank
 * values count as unset, and a bad value throws an {@link EnvConfigError} naming the
 * variable (never its value). Library-internal.
 */
export class EnvReader {
  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** Throws the error for `variable`. */
  fail(variable: string, why: string): never {
    throw new EnvConfigError(variable, why);
  }

  text(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  /** An absolute http(s) URL; `trimSlash` drops trailing slashes (base URLs). */
  url(name: string, trimSlash = false): string | undefined {
    const value = this.text(name);
    if (value === undefined) return undefined;
    let parsed: URL | undefined;
    try {
      parsed = new URL(value);
    } catch {
      // reported below
    }
    if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
      this.fail(name, `${name} must be a URL (http or https)`);
    }
    return trimSlash ? value.replace(/\/+$/, '') : value;
  }

  /** A whole number in [min, max]. */
  int(name: string, min: number, max: number): number | undefined {
    return this.number(name, { min, max, integer: true });
  }

  /** A finite number >= 0. */
  nonNegative(name: string): number | undefined {
    return this.number(name, { min: 0 });
  }

  /** A number within `bounds`, checked by the library's one numeric-option check. */
  number(name: string, bounds: NumberBounds): number | undefined {
    const value = this.text(name);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!withinBounds(n, bounds)) this.fail(name, `${name} must be ${describeBounds(bounds)}`);
    return n;
  }

  /** A non-negative number of seconds, returned in milliseconds. */
  secondsAsMs(name: string): number | undefined {
    const seconds = this.nonNegative(name);
    return seconds === undefined ? undefined : seconds * 1000;
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const value = this.text(name);
    if (value === undefined) return undefined;
    if (!values.includes(value as T)) this.fail(name, `${name} must be ${values.join(' or ')}`);
    return value as T;
  }

  /** Space-separated OAuth scopes. */
  scopes(name: string): string[] | undefined {
    const value = this.text(name);
    if (value === undefined) return undefined;
    if (!SCOPES.test(value)) this.fail(name, `${name} must be space-separated scopes`);
    return value.split(' ');
  }

  /** A comma-separated list; empty items dropped. */
  list(name: string): string[] | undefined {
    return this.text(name)
      ?.split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }

  /** True when `NODE_ENV` is `production`: embedded development defaults are refused. */
  get production(): boolean {
    return this.text('NODE_ENV') === 'production';
  }
}
