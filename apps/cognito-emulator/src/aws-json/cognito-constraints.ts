import { COGNITO_PATTERNS, wholeMatch } from '@app/fleet-auth';
import type { StringRule } from './aws-shape.js';

/** An AWS string constraint with one of Cognito's patterns, quoted as AWS quotes it. */
export const patterned = (min: number, max: number, pattern: string): StringRule => ({
  min,
  max,
  pattern: wholeMatch(pattern),
  patternText: pattern,
});

/** The constraints of the members several operations share, from the API reference. */
export const USER_POOL_ID = patterned(1, 55, '[\\w-]+_[0-9a-zA-Z]+');
export const CLIENT_ID = patterned(1, 128, COGNITO_PATTERNS.clientId);
export const NAME = patterned(1, 128, COGNITO_PATTERNS.name);
export const SCOPE = patterned(1, 256, COGNITO_PATTERNS.scope);
/** `ClientSecretType`, a sensitive string: a custom client secret (`AddUserPoolClientSecret`, `CreateUserPoolClient`). */
export const CLIENT_SECRET: StringRule = { ...patterned(24, 64, '[\\w+]+'), sensitive: true };
