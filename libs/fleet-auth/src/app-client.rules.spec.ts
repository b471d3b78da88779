import {
  appClientViolations,
  clientSecretsOf,
  scopeExists,
  tokenValiditySeconds,
  type AppClientSettings,
} from './app-client.rules.js';

const machine: AppClientSettings = {
  clientSecret: 'dev-only',
  allowedOAuthFlows: ['client_credentials'],
  allowedOAuthScopes: ['api/read'],
  callbackURLs: [],
  accessTokenValidity: 1,
  idTokenValidity: 1,
  refreshTokenValidity: 30,
  tokenValidityUnits: { accessToken: 'hours', idToken: 'hours', refreshToken: 'days' },
};
const broken = (change: Partial<AppClientSettings>) =>
  appClientViolations({ ...machine, ...change }).map((v) => `${v.rule} ${v.field}: ${v.message}`);

describe('app client rules', () => {
  it("counts each token's lifetime in its own unit", () => {
    const c = {
      ...machine,
      accessTokenValidity: 15,
      idTokenValidity: 2,
      refreshTokenValidity: 90,
      tokenValidityUnits: { accessToken: 'minutes', idToken: 'hours', refreshToken: 'minutes' },
    } as const;
    expect(tokenValiditySeconds(c, 'accessToken')).toBe(900);
    expect(tokenValiditySeconds(c, 'idToken')).toBe(7200);
    expect(tokenValiditySeconds(c, 'refreshToken')).toBe(5400);
  });

  it('accepts a machine client with Cognito defaults', () => {
    expect(appClientViolations(machine)).toEqual([]);
  });

  it.each([
    [
      {
        accessTokenValidity: 299,
        tokenValidityUnits: { ...machine.tokenValidityUnits, accessToken: 'seconds' },
      },
      'tokenValidity accessTokenValidity: must be between 5 minutes and 1 day (is 299 seconds)',
    ],
    [
      { idTokenValidity: 25 },
      'tokenValidity idTokenValidity: must be between 5 minutes and 1 day (is 25 hours)',
    ],
    [
      { refreshTokenValidity: 3651 },
      'tokenValidity refreshTokenValidity: must be between 60 minutes and 3650 days (is 3651 days)',
    ],
    [
      {
        refreshTokenValidity: 1,
        tokenValidityUnits: { ...machine.tokenValidityUnits, refreshToken: 'hours' },
        accessTokenValidity: 2,
      },
      'tokenValidity accessTokenValidity: must not be longer than the refresh token validity (is 2 hours)',
    ],
    [
      { allowedOAuthFlows: ['client_credentials', 'code'], callbackURLs: ['https://x.example/cb'] },
      'oauthFlow allowedOAuthFlows: client_credentials cannot be combined with code or implicit',
    ],
    [{ clientSecret: null }, 'oauthFlow clientSecret: client_credentials needs a client secret'],
    [
      { allowedOAuthScopes: [] },
      'oauthFlow allowedOAuthScopes: client_credentials needs at least one custom scope',
    ],
    [
      { allowedOAuthScopes: ['api/read', 'openid'] },
      'oauthFlow allowedOAuthScopes: client_credentials takes custom scopes only',
    ],
    [
      { allowedOAuthFlows: ['code'], clientSecret: null, allowedOAuthScopes: ['openid'] },
      'callbackURLs callbackURLs: code and implicit need at least one callback URL',
    ],
  ] as [Partial<AppClientSettings>, string][])('refuses %j', (change, expected) => {
    const found = broken(change);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(expected);
  });

  it('takes a machine client with two secrets, during a rotation', () => {
    expect(appClientViolations({ ...machine, clientSecret: ['old-secret', 'new-secret'] })).toEqual(
      [],
    );
  });

  it("lists a client's active secrets oldest first, none for a public client", () => {
    expect(clientSecretsOf({ clientSecret: 'only' })).toEqual(['only']);
    expect(clientSecretsOf({ clientSecret: ['old', 'new'] })).toEqual(['old', 'new']);
    expect(clientSecretsOf({ clientSecret: null })).toEqual([]);
  });

  it('finds standard scopes and declared ones, URL identifiers split at the last "/"', () => {
    const servers = new Map([
      ['api', { scopes: [{ name: 'read' }] }],
      ['https://api.example.com/v1', { scopes: [{ name: 'write' }] }],
    ]);
    const lookup = (id: string) => servers.get(id);
    expect(scopeExists('openid', lookup)).toBe(true);
    expect(scopeExists('api/read', lookup)).toBe(true);
    expect(scopeExists('https://api.example.com/v1/write', lookup)).toBe(true);
    expect(scopeExists('api/write', lookup)).toBe(false);
    expect(scopeExists('/read', lookup)).toBe(false);
    expect(scopeExists('read', lookup)).toBe(false);
  });
});
