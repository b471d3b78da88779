import { CognitoIdpError } from '../idp/cognito-idp.error.js';

interface StringRule {
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** Shown in the message, as AWS writes the pattern. */
  patternText?: string;
  values?: readonly string[];
}

/** `ClientName` → `clientName`: how AWS names members in validation messages. */
function member(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/**
 * Reads the members of an AWS JSON 1.1 request as the service does: a member of the wrong
 * JSON type is a `SerializationException`; values outside the model's constraints are
 * collected and reported together as Cognito's `InvalidParameterException`
 * ("2 validation errors detected: Value ... at 'clientName' failed to satisfy constraint: ...").
 */
export class AwsInput {
  constructor(
    private readonly body: Record<string, unknown>,
    /** Shared with nested structures, so `done()` reports them all. */
    private readonly violations: string[] = [],
  ) {}

  static of(input: unknown): AwsInput {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new CognitoIdpError('SerializationException', 'the request body must be a JSON object');
    }
    return new AwsInput(input as Record<string, unknown>);
  }

  private typed<T>(name: string, type: string, check: (v: unknown) => v is T): T | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (!check(value)) {
      throw new CognitoIdpError('SerializationException', `${name} must be ${type}`);
    }
    return value;
  }

  private violation(
    value: string | number | string[] | undefined,
    name: string,
    constraint: string,
  ): void {
    const shown =
      value === undefined
        ? 'null'
        : `'${Array.isArray(value) ? `[${value.join(', ')}]` : String(value)}'`;
    this.violations.push(
      `Value ${shown} at '${member(name)}' failed to satisfy constraint: ${constraint}`,
    );
  }

  /** The first constraint of `rule` that `value` breaks, in AWS's words; undefined if none. */
  private static broken(value: string, rule: StringRule): string | undefined {
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
  private static constraints(rule: StringRule): string[] {
    return [
      rule.max !== undefined && `Member must have length less than or equal to ${rule.max}`,
      rule.min !== undefined && `Member must have length greater than or equal to ${rule.min}`,
      rule.pattern &&
        `Member must satisfy regular expression pattern: ${rule.patternText ?? rule.pattern.source}`,
      rule.values && `Member must satisfy enum value set: [${rule.values.join(', ')}]`,
    ].filter((c): c is string => typeof c === 'string');
  }

  private checkString(value: string, name: string, rule: StringRule): void {
    const broken = AwsInput.broken(value, rule);
    if (broken !== undefined) this.violation(value, name, broken);
  }

  requiredString(name: string, rule: StringRule = {}): string {
    const value = this.optionalString(name, rule);
    if (value === undefined) this.violation(undefined, name, 'Member must not be null');
    return value ?? '';
  }

  optionalString(name: string, rule: StringRule = {}): string | undefined {
    const value = this.typed(name, 'a string', (v): v is string => typeof v === 'string');
    if (value !== undefined) this.checkString(value, name, rule);
    return value;
  }

  boolean(name: string): boolean | undefined {
    return this.typed(name, 'a boolean', (v): v is boolean => typeof v === 'boolean');
  }

  integer(name: string, min: number, max: number): number | undefined {
    const value = this.typed(name, 'a number', (v): v is number => typeof v === 'number');
    if (value === undefined) return undefined;
    if (!Number.isInteger(value) || value < min) {
      this.violation(value, name, `Member must have value greater than or equal to ${min}`);
    } else if (value > max) {
      this.violation(value, name, `Member must have value less than or equal to ${max}`);
    }
    return value;
  }

  /**
   * A list of strings. A member breaking its rule is reported as AWS does, with the whole
   * list and every member constraint: "Value '[code, token]' at 'allowedOAuthFlows' failed to
   * satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set:
   * [implicit, client_credentials, code]]".
   */
  stringList(name: string, rule: StringRule & { maxItems?: number } = {}): string[] | undefined {
    const value = this.typed(
      name,
      'a list of strings',
      (v): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string'),
    );
    if (value === undefined) return undefined;
    if (rule.maxItems !== undefined && value.length > rule.maxItems) {
      this.violation(value, name, `Member must have length less than or equal to ${rule.maxItems}`);
    } else if (value.some((item) => AwsInput.broken(item, rule) !== undefined)) {
      const all = AwsInput.constraints(rule).join(', ');
      this.violation(value, name, `Member must satisfy constraint: [${all}]`);
    }
    return value;
  }

  /** A nested structure, read with its own rules (its violations join this input's). */
  struct(name: string): AwsInput | undefined {
    const value = this.typed(
      name,
      'a structure',
      (v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v),
    );
    if (value === undefined) return undefined;
    return new AwsInput(value, this.violations);
  }

  /** A list of structures. */
  structList(name: string, maxItems: number): AwsInput[] | undefined {
    const value = this.typed(
      name,
      'a list of structures',
      (v): v is Record<string, unknown>[] =>
        Array.isArray(v) &&
        v.every((s) => typeof s === 'object' && s !== null && !Array.isArray(s)),
    );
    if (value === undefined) return undefined;
    if (value.length > maxItems) {
      this.violation(
        `${value.length} items`,
        name,
        `Member must have length less than or equal to ${maxItems}`,
      );
      return [];
    }
    return value.map((v) => new AwsInput(v, this.violations));
  }

  /** Throws the collected violations, if any, as one `InvalidParameterException`. */
  done(): void {
    const n = this.violations.length;
    if (n === 0) return;
    throw new CognitoIdpError(
      'InvalidParameterException',
      `${n} validation error${n === 1 ? '' : 's'} detected: ${this.violations.join('; ')}`,
    );
  }
}
