import {
  allowsClientTokenAuth,
  appClientViolations,
  clientSecretsOf,
  scopeExists,
  tokenValiditySeconds,
  type AppClientSettings,
} from './app-client.rules.js';

const machine: AppClientSettings = {
  clientSecret: 'dev-only',
  allowedOAuthFlows: ['client_credentials'],
  explicitAuthFlows: [],
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
    [
      { explicitAuthFlows: ['ALLOW_CLIENT_TOKEN_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] },
      'authFlow explicitAuthFlows: ALLOW_CLIENT_TOKEN_AUTH must be the only explicit auth flow',
    ],
    [
      { allowedOAuthFlows: [], explicitAuthFlows: ['ALLOW_CLIENT_TOKEN_AUTH'], clientSecret: null },
      'authFlow clientSecret: ALLOW_CLIENT_TOKEN_AUTH needs a client secret',
    ],
    [
      {
        allowedOAuthFlows: [],
        explicitAuthFlows: ['ALLOW_CLIENT_TOKEN_AUTH'],
        allowedOAuthScopes: [],
      },
      'authFlow allowedOAuthScopes: ALLOW_CLIENT_TOKEN_AUTH needs at least one custom scope',
    ],
    [
      {
        allowedOAuthFlows: [],
        explicitAuthFlows: ['ALLOW_CLIENT_TOKEN_AUTH'],
        allowedOAuthScopes: ['api/read', 'email'],
      },
      'authFlow allowedOAuthScopes: ALLOW_CLIENT_TOKEN_AUTH takes custom scopes only',
    ],
    [
      {
        allowedOAuthFlows: ['code'],
        explicitAuthFlows: ['ALLOW_CLIENT_TOKEN_AUTH'],
        callbackURLs: ['https://x.example/cb'],
      },
      'authFlow allowedOAuthFlows: ALLOW_CLIENT_TOKEN_AUTH cannot be combined with code or implicit',
    ],
  ] as [Partial<AppClientSettings>, string][])('refuses %j', (change, expected) => {
    const found = broken(change);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(expected);
  });

  it('takes ALLOW_CLIENT_TOKEN_AUTH alone or beside client_credentials, reporting a shared need once', () => {
    const apiOnly = {
      ...machine,
      allowedOAuthFlows: [],
      explicitAuthFlows: ['ALLOW_CLIENT_TOKEN_AUTH'],
    };
    expect(appClientViolations(apiOnly)).toEqual([]);
    expect(appClientViolations({ ...apiOnly, allowedOAuthFlows: ['client_credentials'] })).toEqual(
      [],
    );
    expect(broken({ explicitAuthFlows: ['ALLOW_CLIENT_TOKEN_AUTH'], clientSecret: null })).toEqual([
      'oauthFlow clientSecret: client_credentials needs a client secret',
    ]);
  });

  it('lets GetClientToken serve only a client whose one flow is ALLOW_CLIENT_TOKEN_AUTH, with a secret', () => {
    const token = ['ALLOW_CLIENT_TOKEN_AUTH'];
    expect(allowsClientTokenAuth({ clientSecret: 's', explicitAuthFlows: token })).toBe(true);
    expect(allowsClientTokenAuth({ clientSecret: ['old', 'new'], explicitAuthFlows: token })).toBe(
      true,
    );
    expect(allowsClientTokenAuth({ clientSecret: null, explicitAuthFlows: token })).toBe(false);
    expect(
      allowsClientTokenAuth({
        clientSecret: 's',
        explicitAuthFlows: [...token, 'ALLOW_USER_PASSWORD_AUTH'],
      }),
    ).toBe(false);
    expect(allowsClientTokenAuth({ clientSecret: 's', explicitAuthFlows: [] })).toBe(false);
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
