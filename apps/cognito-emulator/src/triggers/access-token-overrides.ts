import { COGNITO_PATTERNS, wholeMatch } from '@app/fleet-auth';
import type { JWTPayload } from 'jose';
import { TriggerError } from './trigger.error.js';

/** What a V3 trigger's `claimsAndScopeOverrideDetails.accessTokenGeneration` asks for. */
export interface AccessTokenOverrides {
  claimsToAddOrOverride: Readonly<Record<string, ClaimValue>>;
  claimsToSuppress: readonly string[];
  scopesToAdd: readonly string[];
  scopesToSuppress: readonly string[];
}

type Primitive = string | number | boolean;
/** A claim value a V2/V3 trigger may set: a string, number, boolean, an array of them, or JSON. */
export type ClaimValue = Primitive | Primitive[] | { [key: string]: unknown };

/**
 * Claims a trigger can neither add, override nor suppress in an access token: the ones the
 * pre token generation page of Cognito's developer guide excludes (and every `cognito:`
 * claim), `scope` (changed only through `scopesToAdd` / `scopesToSuppress`), and the
 * claims Cognito itself writes into a client-credentials token. Such requests are ignored:
 * the claim stays as Cognito wrote it.
 */
export const PROTECTED_ACCESS_TOKEN_CLAIMS: ReadonlySet<string> = new Set([
  'acr',
  'amr',
  'at_hash',
  'aud',
  'auth_time',
  'azp',
  'client_id',
  'device_key',
  'event_id',
  'exp',
  'iat',
  'identities',
  'iss',
  'jti',
  'nbf',
  'nonce',
  'origin_jti',
  'scope',
  'sub',
  'token_use',
  'username',
  'version',
]);

/** Lambda's limit on a synchronous invocation's response. */
const MAX_OUTPUT_BYTES = 6 * 1024 * 1024;
const SCOPE_TOKEN = wholeMatch(COGNITO_PATTERNS.scope);
const NO_CHANGE: AccessTokenOverrides = {
  claimsToAddOrOverride: {},
  claimsToSuppress: [],
  scopesToAdd: [],
  scopesToSuppress: [],
};
const ACCESS_TOKEN_MEMBERS = new Set([
  'claimsToAddOrOverride',
  'claimsToSuppress',
  'scopesToAdd',
  'scopesToSuppress',
]);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isPrimitive = (v: unknown): v is Primitive =>
  typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number';
const isClaimValue = (v: unknown): v is ClaimValue =>
  isPrimitive(v) || (Array.isArray(v) && v.every(isPrimitive)) || isObject(v);

function unrecognizable(why: string): TriggerError {
  return new TriggerError('InvalidLambdaResponseException', `Unrecognizable lambda output: ${why}`);
}

function stringList(value: unknown, name: string, item = (s: string) => s !== ''): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string' && item(s))) {
    throw unrecognizable(`${name} must be a list of strings`);
  }
  return value as string[];
}

/**
 * Reads what a trigger returned the way Lambda hands it to Cognito, as JSON: a value JSON
 * cannot hold is "Invalid lambda function output : Invalid JSON", a shape the V3 response
 * does not have is "Unrecognizable lambda output"; both `InvalidLambdaResponseException`.
 * No `claimsAndScopeOverrideDetails` (or `accessTokenGeneration`) changes nothing.
 *
 * @example
 * ```ts
 * accessTokenOverridesOf(await handler(event)).claimsToAddOrOverride; // { tenant_id: 'acme' }
 * ```
 */
export function accessTokenOverridesOf(output: unknown): AccessTokenOverrides {
  let json: string | undefined;
  try {
    json = JSON.stringify(output);
  } catch (cause) {
    throw new TriggerError(
      'InvalidLambdaResponseException',
      'Invalid lambda function output : Invalid JSON',
      { cause },
    );
  }
  if (json === undefined || Buffer.byteLength(json) > MAX_OUTPUT_BYTES) {
    throw new TriggerError(
      'InvalidLambdaResponseException',
      'Invalid lambda function output : Invalid JSON',
    );
  }
  const event: unknown = JSON.parse(json);
  if (!isObject(event) || !isObject(event.response)) {
    throw unrecognizable('the function must return the event, with its response');
  }
  const details = event.response.claimsAndScopeOverrideDetails;
  if (details === undefined || details === null) return NO_CHANGE;
  if (!isObject(details)) throw unrecognizable('claimsAndScopeOverrideDetails must be an object');
  for (const member of ['idTokenGeneration', 'groupOverrideDetails'] as const) {
    const value = details[member];
    if (value !== undefined && value !== null && !isObject(value)) {
      throw unrecognizable(`${member} must be an object`);
    }
  }
  const access = details.accessTokenGeneration;
  if (access === undefined || access === null) return NO_CHANGE;
  if (!isObject(access)) throw unrecognizable('accessTokenGeneration must be an object');
  const unknown = Object.keys(access).find((k) => !ACCESS_TOKEN_MEMBERS.has(k));
  if (unknown !== undefined) throw unrecognizable(`accessTokenGeneration has no member ${unknown}`);
  const add = access.claimsToAddOrOverride ?? {};
  if (!isObject(add)) throw unrecognizable('claimsToAddOrOverride must be an object');
  for (const [name, value] of Object.entries(add)) {
    if (name === '' || !isClaimValue(value)) {
      throw unrecognizable(
        `claim ${JSON.stringify(name)} must be a string, number, boolean, a list of them, or a JSON object`,
      );
    }
  }
  const scope = (s: string) => SCOPE_TOKEN.test(s);
  return {
    claimsToAddOrOverride: add as Record<string, ClaimValue>,
    claimsToSuppress: stringList(access.claimsToSuppress, 'claimsToSuppress'),
    scopesToAdd: stringList(access.scopesToAdd, 'scopesToAdd', scope),
    scopesToSuppress: stringList(access.scopesToSuppress, 'scopesToSuppress', scope),
  };
}

/**
 * An access token's claims with a trigger's overrides applied, by Cognito's rules: claims
 * are added or overridden, then suppressed (a claim both overridden and suppressed is
 * suppressed, as the developer guide says); {@link PROTECTED_ACCESS_TOKEN_CLAIMS} and
 * `cognito:` claims stay as they are; `scope` gains `scopesToAdd` (after the granted ones,
 * once each) and loses `scopesToSuppress` (suppressing wins), and is left out when no
 * scope remains.
 */
export function applyAccessTokenOverrides(
  claims: JWTPayload,
  overrides: AccessTokenOverrides,
): JWTPayload {
  const changeable = (name: string) =>
    !PROTECTED_ACCESS_TOKEN_CLAIMS.has(name) && !name.startsWith('cognito:');
  const out: JWTPayload = { ...claims };
  for (const [name, value] of Object.entries(overrides.claimsToAddOrOverride)) {
    if (changeable(name)) out[name] = value;
  }
  for (const name of overrides.claimsToSuppress) {
    if (changeable(name)) delete out[name];
  }
  const granted = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  const suppressed = new Set(overrides.scopesToSuppress);
  const scopes = [...new Set([...granted, ...overrides.scopesToAdd])].filter(
    (s) => s !== '' && !suppressed.has(s),
  );
  if (scopes.length > 0) out.scope = scopes.join(' ');
  else delete out.scope;
  return out;
}
