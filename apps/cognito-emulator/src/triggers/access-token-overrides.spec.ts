import type { JWTPayload } from 'jose';
import { accessTokenOverridesOf, applyAccessTokenOverrides } from './access-token-overrides.js';
import { TriggerError } from './trigger.error.js';

const claims: JWTPayload = {
  sub: 'svc',
  token_use: 'access',
  scope: 'api/read api/write',
  auth_time: 100,
  iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X',
  exp: 3700,
  iat: 100,
  version: 2,
  jti: 'c0ffee00-0000-4000-8000-000000000000',
  client_id: 'svc',
};

const output = (accessTokenGeneration: unknown) => ({
  version: '3',
  response: { claimsAndScopeOverrideDetails: { accessTokenGeneration } },
});

function failure(value: unknown): { failure: string; message: string } {
  try {
    accessTokenOverridesOf(value);
  } catch (e) {
    expect(e).toBeInstanceOf(TriggerError);
    const { failure, message } = e as TriggerError;
    return { failure, message };
  }
  throw new Error('expected a TriggerError');
}

describe('a V3 trigger response', () => {
  it('adds, overrides and suppresses claims, adds and suppresses scopes', () => {
    const overrides = accessTokenOverridesOf(
      output({
        claimsToAddOrOverride: {
          tenant_id: 'acme',
          tier: 3,
          beta: true,
          roles: ['reader', 1, false],
          plan: { name: 'gold', seats: 5 },
          version: 9,
        },
        claimsToSuppress: ['beta', 'auth_time'],
        scopesToAdd: ['api/extra', 'api/read'],
        scopesToSuppress: ['api/write'],
      }),
    );
    expect(applyAccessTokenOverrides(claims, overrides)).toEqual({
      ...claims,
      scope: 'api/read api/extra',
      tenant_id: 'acme',
      tier: 3,
      roles: ['reader', 1, false],
      plan: { name: 'gold', seats: 5 },
    });
  });

  it.each([
    'iss',
    'sub',
    'client_id',
    'token_use',
    'exp',
    'iat',
    'jti',
    'auth_time',
    'version',
    'scope',
    'aud',
    'nbf',
    'username',
    'cognito:groups',
  ])('leaves %s as Cognito wrote it, whether overridden or suppressed', (name) => {
    const overrides = accessTokenOverridesOf(
      output({ claimsToAddOrOverride: { [name]: 'changed' }, claimsToSuppress: [name] }),
    );
    const out = applyAccessTokenOverrides(claims, overrides);
    expect(out[name]).toEqual(claims[name]);
  });

  it('suppresses a claim it also overrides, and a scope it also adds', () => {
    const out = applyAccessTokenOverrides(
      claims,
      accessTokenOverridesOf(
        output({
          claimsToAddOrOverride: { tenant_id: 'acme' },
          claimsToSuppress: ['tenant_id'],
          scopesToAdd: ['api/extra'],
          scopesToSuppress: ['api/extra'],
        }),
      ),
    );
    expect(out).toEqual(claims);
  });

  it('leaves the scope claim out when every scope is suppressed', () => {
    const out = applyAccessTokenOverrides(
      claims,
      accessTokenOverridesOf(output({ scopesToSuppress: ['api/read', 'api/write'] })),
    );
    expect(out).not.toHaveProperty('scope');
  });

  it.each([
    [{ version: '3', response: { claimsAndScopeOverrideDetails: null } }],
    [{ version: '3', response: { claimsAndScopeOverrideDetails: {} } }],
    [{ response: { claimsAndScopeOverrideDetails: { idTokenGeneration: {} } } }],
    [output(null)],
  ])('changes nothing without access-token details: %j', (value) => {
    expect(applyAccessTokenOverrides(claims, accessTokenOverridesOf(value))).toEqual(claims);
  });

  it.each([
    ['nothing', undefined, 'Invalid lambda function output : Invalid JSON'],
    ['a function', () => 1, 'Invalid lambda function output : Invalid JSON'],
    ['a BigInt', { response: { big: 10n } }, 'Invalid lambda function output : Invalid JSON'],
    ['a string', 'event', 'Unrecognizable lambda output: the function must return the event'],
    [
      'no response',
      { request: {} },
      'Unrecognizable lambda output: the function must return the event',
    ],
    [
      'details that are not an object',
      { response: { claimsAndScopeOverrideDetails: 'x' } },
      'claimsAndScopeOverrideDetails must be',
    ],
    ['access-token details that are a list', output([]), 'accessTokenGeneration must be an object'],
    [
      'a misspelt member',
      output({ claimsToAdd: { a: 'b' } }),
      'accessTokenGeneration has no member claimsToAdd',
    ],
    [
      'a null claim',
      output({ claimsToAddOrOverride: { a: null } }),
      'claim "a" must be a string, number',
    ],
    [
      'a list of objects',
      output({ claimsToAddOrOverride: { a: [{ b: 1 }] } }),
      'claim "a" must be a string, number',
    ],
    ['an empty claim name', output({ claimsToAddOrOverride: { '': 'x' } }), 'claim "" must be'],
    [
      'claims to suppress as a string',
      output({ claimsToSuppress: 'tenant_id' }),
      'claimsToSuppress must be a list of strings',
    ],
    [
      'a scope with a space',
      output({ scopesToAdd: ['two words'] }),
      'scopesToAdd must be a list of strings',
    ],
    [
      'a scope that is a number',
      output({ scopesToSuppress: [7] }),
      'scopesToSuppress must be a list of strings',
    ],
    [
      'group details that are a list',
      { response: { claimsAndScopeOverrideDetails: { groupOverrideDetails: [] } } },
      'groupOverrideDetails must be an object',
    ],
  ] as [string, unknown, string][])(
    'refuses %s as InvalidLambdaResponseException',
    (_, value, message) => {
      const { failure: type, message: text } = failure(value);
      expect(type).toBe('InvalidLambdaResponseException');
      expect(text).toContain(message);
    },
  );

  it('refuses an answer larger than Lambda can return', () => {
    const huge = output({ claimsToAddOrOverride: { blob: 'x'.repeat(6 * 1024 * 1024) } });
    expect(failure(huge).message).toBe('Invalid lambda function output : Invalid JSON');
  });
});
