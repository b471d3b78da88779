import { CognitoIdpError } from './cognito-idp.error.js';

/** A string's constraints in the API model. */
export interface StringRule {
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** Shown in the message, as AWS writes the pattern. */
  patternText?: string;
  values?: readonly string[];
  /** A sensitive member (a secret): validation messages leave its value out, as AWS's do. */
  sensitive?: boolean;
}

/** The constraint violations of one request, reported together as AWS reports them. */
export class Violations {
  private readonly found: string[] = [];

  /** A sensitive member's value is left out: "Value at 'clientSecret' failed to satisfy ...". */
  add(
    value: string | number | string[] | undefined,
    name: string,
    constraint: string,
    sensitive = false,
  ): void {
    const shown = sensitive
      ? ''
      : value === undefined
        ? ' null'
        : ` '${Array.isArray(value) ? `[${value.join(', ')}]` : String(value)}'`;
    // `ClientName` → `clientName`: how AWS names members in validation messages.
    const member = name.charAt(0).toLowerCase() + name.slice(1);
    this.found.push(`Value${shown} at '${member}' failed to satisfy constraint: ${constraint}`);
  }

  /** Throws the violations, if any, as one `InvalidParameterException`. */
  throwIfAny(): void {
    const n = this.found.length;
    if (n === 0) return;
    throw new CognitoIdpError(
      'InvalidParameterException',
      `${n} validation error${n === 1 ? '' : 's'} detected: ${this.found.join('; ')}`,
    );
  }
}

/** How one member of a request is read: its JSON type and the model's constraints. */
export interface Member<T> {
  read(value: unknown, name: string, violations: Violations): T;
}

type Members = Record<string, Member<unknown>>;

/** What a structure of `M` reads as: each member's value, `undefined` for one left out. */
export type Parsed<M extends Members> = {
  [K in keyof M]: M[K] extends Member<infer T> ? T : never;
};

/** An operation's input: the JSON body read into typed members, or the error AWS answers. */
export interface Shape<T> {
  parse(body: unknown): T;
}

/** The input type a {@link Shape} parses into. */
export type InputOf<S> = S extends Shape<infer T> ? T : never;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A member's JSON type: absent (or null) reads as undefined, another type is a
 * `SerializationException`, as the service answers before it checks any constraint.
 */
function typed<T>(
  type: string,
  check: (v: unknown) => v is T,
): (value: unknown, name: string) => T | undefined {
  return (value, name) => {
    if (value === undefined || value === null) return undefined;
    if (!check(value))
      throw new CognitoIdpError('SerializationException', `${name} must be ${type}`);
    return value;
  };
}

/** The first constraint of `rule` that `value` breaks, in AWS's words; undefined if none. */
function broken(value: string, rule: StringRule): string | undefined {
  if (rule.min !== undefined && value.length < rule.min) {
    return `Member must have length greater than or equal to ${rule.min}`;
  }
  if (rule.max !== undefined && value.length > rule.max) {
    return `Member must have length less than or equal to ${rule.max}`;
  }
  if (rule.pattern && !rule.pattern.test(value)) {
    return `Member must satisfy regular expression pattern: ${rule.patternText ?? rule.pattern.source}`;
  }
  if (rule.values && !rule.values.includes(value)) {
    return `Member must satisfy enum value set: [${rule.values.join(', ')}]`;
  }
  return undefined;
}

/** Every constraint of `rule`, as AWS lists a list member's constraints. */
function constraints(rule: StringRule): string[] {
  return [
    rule.max !== undefined && `Member must have length less than or equal to ${rule.max}`,
    rule.min !== undefined && `Member must have length greater than or equal to ${rule.min}`,
    rule.pattern &&
      `Member must satisfy regular expression pattern: ${rule.patternText ?? rule.pattern.source}`,
    rule.values && `Member must satisfy enum value set: [${rule.values.join(', ')}]`,
  ].filter((c): c is string => typeof c === 'string');
}

const asString = typed('a string', (v): v is string => typeof v === 'string');

export function string(rule: StringRule = {}): Member<string | undefined> {
  return {
    read(value, name, violations) {
      const s = asString(value, name);
      const fault = s === undefined ? undefined : broken(s, rule);
      if (fault !== undefined) violations.add(s, name, fault, rule.sensitive);
      return s;
    },
  };
}

export function integer(min: number, max: number): Member<number | undefined> {
  const asNumber = typed('a number', (v): v is number => typeof v === 'number');
  return {
    read(value, name, violations) {
      const n = asNumber(value, name);
      if (n === undefined) return undefined;
      if (!Number.isInteger(n) || n < min) {
        violations.add(n, name, `Member must have value greater than or equal to ${min}`);
      } else if (n > max) {
        violations.add(n, name, `Member must have value less than or equal to ${max}`);
      }
      return n;
    },
  };
}

export function boolean(): Member<boolean | undefined> {
  const asBoolean = typed('a boolean', (v): v is boolean => typeof v === 'boolean');
  return { read: (value, name) => asBoolean(value, name) };
}

/**
 * A list of strings. A member breaking its rule is reported as AWS does, with the whole
 * list and every member constraint: "Value '[code, token]' at 'allowedOAuthFlows' failed to
 * satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set:
 * [implicit, client_credentials, code]]".
 */
export function stringList(
  rule: StringRule & { maxItems?: number } = {},
): Member<string[] | undefined> {
  const asList = typed(
    'a list of strings',
    (v): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string'),
  );
  return {
    read(value, name, violations) {
      const list = asList(value, name);
      if (list === undefined) return undefined;
      if (rule.maxItems !== undefined && list.length > rule.maxItems) {
        violations.add(
          list,
          name,
          `Member must have length less than or equal to ${rule.maxItems}`,
        );
      } else if (list.some((item) => broken(item, rule) !== undefined)) {
        const all = constraints(rule).join(', ');
        violations.add(list, name, `Member must satisfy constraint: [${all}]`);
      }
      return list;
    },
  };
}

/** A map of strings to strings (`AuthParameters`, `ClientMetadata`). */
export function stringMap(): Member<Record<string, string> | undefined> {
  const asMap = typed(
    'a map of strings',
    (v): v is Record<string, string> =>
      isObject(v) && Object.values(v).every((s) => typeof s === 'string'),
  );
  return { read: (value, name) => asMap(value, name) };
}

function readMembers<M extends Members>(body: Json, members: M, violations: Violations) {
  const out: Json = {};
  for (const [name, member] of Object.entries(members)) {
    out[name] = member.read(body[name], name, violations);
  }
  return out as Parsed<M>;
}

const asStructure = typed('a structure', isObject);

/** A nested structure; its members' violations join the request's. */
export function structure<M extends Members>(members: M): Member<Parsed<M> | undefined> {
  return {
    read(value, name, violations) {
      const body = asStructure(value, name);
      return body === undefined ? undefined : readMembers(body, members, violations);
    },
  };
}

/** A list of at most `maxItems` structures. */
export function structureList<M extends Members>(
  members: M,
  maxItems: number,
): Member<Parsed<M>[] | undefined> {
  const asList = typed(
    'a list of structures',
    (v): v is Json[] => Array.isArray(v) && v.every(isObject),
  );
  return {
    read(value, name, violations) {
      const list = asList(value, name);
      if (list === undefined) return undefined;
      if (list.length > maxItems) {
        violations.add(
          `${list.length} items`,
          name,
          `Member must have length less than or equal to ${maxItems}`,
        );
        return [];
      }
      return list.map((item) => readMembers(item, members, violations));
    },
  };
}

/**
 * A member the request must have. Left out, it is a violation ("Member must not be null");
 * the value is then never seen, as the request fails before any operation runs.
 */
export function required<T>(member: Member<T | undefined>): Member<T> {
  return {
    read(value, name, violations) {
      const v = member.read(value, name, violations);
      if (v === undefined) violations.add(undefined, name, 'Member must not be null');
      return v as T;
    },
  };
}

/**
 * An operation's input, read as the service reads an AWS JSON 1.1 request: members of the
 * wrong JSON type are a `SerializationException`; values outside the model's constraints
 * are collected and reported together as `InvalidParameterException` ("2 validation errors
 * detected: Value ... at 'clientName' failed to satisfy constraint: ..."). Members the model
 * does not name are ignored.
 *
 * @example
 * ```ts
 * const DescribeUserPoolInput = input({ UserPoolId: required(string(USER_POOL_ID)) });
 * const { UserPoolId } = DescribeUserPoolInput.parse(JSON.parse(body));
 * ```
 */
export function input<M extends Members>(members: M): Shape<Parsed<M>> {
  return {
    parse(body) {
      if (!isObject(body)) {
        throw new CognitoIdpError(
          'SerializationException',
          'the request body must be a JSON object',
        );
      }
      const violations = new Violations();
      const parsed = readMembers(body, members, violations);
      violations.throwIfAny();
      return parsed;
    },
  };
}
