import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tokenValiditySeconds } from './app-client.rules.js';
import type { PoolDocument } from './pool.schema.js';
import { loadPool, parsePool, PoolFileError, triggerModulePath } from './pool.loader.js';

const shipped = new URL('../pool.json', import.meta.url);

type ClientDocument = PoolDocument['clients'][number];

async function demo(): Promise<PoolDocument & { clients: ClientDocument[] }> {
  return JSON.parse(await readFile(shipped, 'utf8')) as PoolDocument & {
    clients: ClientDocument[];
  };
}

function errorOf(fn: () => unknown): PoolFileError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PoolFileError);
    return e as PoolFileError;
  }
  throw new Error('expected a PoolFileError');
}

describe('pool file', () => {
  it('ships the demo pool the fleet defaults rely on', async () => {
    const pool = await loadPool(shipped.pathname);
    expect(pool.userPoolId).toBe('us-east-1_Weather01');
    expect(pool.resourceServers[0].scopes.map((s) => s.name)).toEqual([
      'forecast.read',
      'forecast.write',
    ]);
    const byId = Object.fromEntries(pool.clients.map((c) => [c.clientId, c]));
    expect(byId['weather-caller'].clientSecret).toBe('weather-caller-dev-secret');
    expect(byId['weather-caller'].allowedOAuthScopes).toEqual(['weather-api/forecast.read']);
    expect(byId['weather-admin'].allowedOAuthScopes).toHaveLength(2);
    expect(byId['weather-web'].clientSecret).toBeNull();
    expect(byId['weather-web'].explicitAuthFlows).toEqual([
      'ALLOW_USER_PASSWORD_AUTH',
      'ALLOW_REFRESH_TOKEN_AUTH',
    ]);
    // GetClientToken only, and both M2M ways with the tenant trigger.
    expect(byId['weather-sdk-caller']).toMatchObject({
      allowedOAuthFlows: [],
      explicitAuthFlows: ['ALLOW_CLIENT_TOKEN_AUTH'],
      allowedOAuthScopes: ['weather-api/forecast.read'],
    });
    expect(byId['weather-tenant-caller']).toMatchObject({
      allowedOAuthFlows: ['client_credentials'],
      explicitAuthFlows: ['ALLOW_CLIENT_TOKEN_AUTH'],
    });
    expect(pool.users[0].username).toBe('alice');
    for (const c of pool.clients) expect(tokenValiditySeconds(c, 'accessToken')).toBe(3600);
  });

  it('ships the settings the CDK stack provisions, with the services that use them', async () => {
    const pool = await loadPool(shipped.pathname);
    expect(pool.userPool).toEqual({
      userPoolName: 'weather-fleet',
      allowAdminCreateUserOnly: true,
      deletionProtection: 'ACTIVE',
      removalPolicy: 'retain',
      issuerConfiguration: { type: 'ORIGINAL' },
      lambdaConfig: {
        preTokenGenerationConfig: { lambdaVersion: 'V3_0', module: 'triggers/tenant-claim.mjs' },
      },
    });
    expect(triggerModulePath(shipped.pathname, 'triggers/tenant-claim.mjs')).toBe(
      fileURLToPath(new URL('../triggers/tenant-claim.mjs', import.meta.url)),
    );
    expect(pool.domain).toEqual({ domainPrefix: 'weather-fleet-example' });
    expect(pool.clients[0]).toMatchObject({
      accessTokenValidity: 60,
      idTokenValidity: 60,
      refreshTokenValidity: 30,
      tokenValidityUnits: { accessToken: 'minutes', idToken: 'minutes', refreshToken: 'days' },
      enableTokenRevocation: true,
      preventUserExistenceErrors: 'ENABLED',
      callbackURLs: [],
      logoutURLs: [],
    });
    expect(pool.services).toMatchObject({
      'weather-api': { resourceServers: ['weather-api'], clients: {} },
      caller: {
        resourceServers: [],
        clients: { OAUTH: 'weather-caller', OAUTH_WRITE: 'weather-admin' },
      },
    });
  });

  it("applies Cognito's defaults: 1 hour access and ID tokens, 30 days refresh, revocation on", () => {
    const pool = parsePool({
      userPoolId: 'eu-west-1_Min1',
      clients: [{ clientId: 'bare', clientSecret: null }],
    });
    expect(pool.clients[0]).toMatchObject({
      accessTokenValidity: 1,
      idTokenValidity: 1,
      refreshTokenValidity: 30,
      tokenValidityUnits: { accessToken: 'hours', idToken: 'hours', refreshToken: 'days' },
      enableTokenRevocation: true,
      preventUserExistenceErrors: 'ENABLED',
    });
    expect(tokenValiditySeconds(pool.clients[0], 'accessToken')).toBe(3600);
    expect(tokenValiditySeconds(pool.clients[0], 'refreshToken')).toBe(30 * 86400);
    expect(pool.userPool).toEqual({
      allowAdminCreateUserOnly: true,
      deletionProtection: 'ACTIVE',
      removalPolicy: 'retain',
      issuerConfiguration: { type: 'ORIGINAL' },
    });
    expect(pool.domain).toBeUndefined();
  });

  it.each([
    [299, 'seconds', 'clients[1].accessTokenValidity: must be between 5 minutes and 1 day'],
    [4, 'minutes', 'clients[1].accessTokenValidity: must be between 5 minutes and 1 day'],
    [25, 'hours', 'clients[1].accessTokenValidity: must be between 5 minutes and 1 day'],
    [2, 'days', 'clients[1].accessTokenValidity: must be between 5 minutes and 1 day'],
    [10.5, 'minutes', 'clients[1].accessTokenValidity: must be a positive whole number'],
    ['60', 'minutes', 'clients[1].accessTokenValidity: must be a positive whole number'],
  ])(
    'rejects an access-token validity of %j %s, naming the field',
    async (value, unit, message) => {
      const doc = await demo();
      Object.assign(doc.clients[1], {
        accessTokenValidity: value,
        tokenValidityUnits: { accessToken: unit },
      });
      expect(errorOf(() => parsePool(doc)).message).toContain(message);
    },
  );

  it.each(['local_weather', 'us-east-1-Weather01', 'us-east-1_', 'US-EAST-1_abc', 'us-east-1_a-b'])(
    'refuses the pool id %j, saying what a Cognito pool id looks like',
    async (id) => {
      const doc = await demo();
      doc.userPoolId = id;
      expect(errorOf(() => parsePool(doc)).message).toContain(
        'userPoolId: must be a Cognito user pool id, "<region>_<letters and digits>"',
      );
    },
  );

  it.each(['eu-west-1_AbCdEf123', 'ap-southeast-2_x1', 'us-gov-west-1_Z'])(
    'accepts the pool id %j',
    async (id) => {
      const doc = await demo();
      doc.userPoolId = id;
      expect(parsePool(doc).userPoolId).toBe(id);
    },
  );

  it('accepts the bounds 300 seconds and 1 day, in any unit, and derives seconds', async () => {
    const doc = await demo();
    Object.assign(doc.clients[0], {
      accessTokenValidity: 300,
      tokenValidityUnits: { ...doc.clients[0].tokenValidityUnits, accessToken: 'seconds' },
    });
    Object.assign(doc.clients[1], {
      accessTokenValidity: 1,
      tokenValidityUnits: { ...doc.clients[1].tokenValidityUnits, accessToken: 'days' },
    });
    const pool = parsePool(doc);
    expect(tokenValiditySeconds(pool.clients[0], 'accessToken')).toBe(300);
    expect(tokenValiditySeconds(pool.clients[1], 'accessToken')).toBe(86400);
  });

  it("keeps ID and refresh validity in Cognito's bounds", async () => {
    const doc = await demo();
    Object.assign(doc.clients[0], {
      refreshTokenValidity: 30,
      tokenValidityUnits: { refreshToken: 'minutes' },
    });
    Object.assign(doc.clients[1], { refreshTokenValidity: 3651 });
    Object.assign(doc.clients[2], {
      idTokenValidity: 2,
      refreshTokenValidity: 1,
      tokenValidityUnits: { idToken: 'hours', refreshToken: 'hours' },
    });
    const { message } = errorOf(() => parsePool(doc));
    expect(message).toContain('clients[0].refreshTokenValidity: must be between 60 minutes');
    expect(message).toContain('clients[1].refreshTokenValidity: must be between 60 minutes');
    expect(message).toContain(
      'clients[2].idTokenValidity: must not be longer than the refresh token validity (is 2 hours)',
    );
  });

  it("says which unit it read: an omitted unit is Cognito's default, hours", async () => {
    const doc = await demo();
    doc.clients[0].tokenValidityUnits = { accessToken: 'minutes' };
    expect(errorOf(() => parsePool(doc)).message).toContain(
      'clients[0].idTokenValidity: must be between 5 minutes and 1 day (is 60 hours)',
    );
  });

  it('names a scope no resource server declares', async () => {
    const doc = await demo();
    doc.clients[0].allowedOAuthScopes?.push('weather-api/forecast.delete');
    expect(errorOf(() => parsePool(doc)).message).toContain(
      'clients[0].allowedOAuthScopes[1]: unknown scope "weather-api/forecast.delete"',
    );
  });

  it('refuses client credentials without a secret and duplicate client ids', async () => {
    const doc = await demo();
    doc.clients[2].allowedOAuthFlows = ['client_credentials'];
    doc.clients[2].allowedOAuthScopes = ['weather-api/forecast.read'];
    doc.clients[1].clientId = 'weather-caller';
    const { message } = errorOf(() => parsePool(doc));
    expect(message).toContain('clients[2].clientSecret: client_credentials needs a client secret');
    expect(message).toContain('clients[1].clientId: duplicate client id "weather-caller"');
  });

  it('takes two secrets for a client, oldest first, as Cognito keeps them during a rotation', async () => {
    const doc = await demo();
    doc.clients[0].clientSecret = ['weather-caller-dev-secret', 'weather-caller-next-secret'];
    expect(parsePool(doc).clients[0].clientSecret).toEqual([
      'weather-caller-dev-secret',
      'weather-caller-next-secret',
    ]);
  });

  it.each([
    [['a', 'b', 'c'], 'clients[0].clientSecret: must list 1 or 2 secrets: Cognito keeps at most 2'],
    [[], 'clients[0].clientSecret: must list 1 or 2 secrets'],
    [['a', ''], 'clients[0].clientSecret[1]: must be a non-empty string'],
    ['', 'clients[0].clientSecret: must be a non-empty string'],
    [42, 'clients[0].clientSecret: must be a secret, a list of at most 2 secrets, or null'],
  ])('refuses the secrets %j, naming the field', async (secrets, message) => {
    const doc = await demo();
    (doc.clients[0] as { clientSecret: unknown }).clientSecret = secrets;
    expect(errorOf(() => parsePool(doc)).message).toContain(message);
  });

  it('takes a code-flow client with callback URLs and standard scopes, as Cognito does', async () => {
    const doc = await demo();
    Object.assign(doc.clients[2], {
      allowedOAuthFlows: ['code'],
      allowedOAuthScopes: ['openid', 'weather-api/forecast.read'],
      callbackURLs: ['https://web.example.com/callback'],
      logoutURLs: ['https://web.example.com/'],
    });
    expect(parsePool(doc).clients[2]).toMatchObject({
      callbackURLs: ['https://web.example.com/callback'],
      logoutURLs: ['https://web.example.com/'],
    });
    delete doc.clients[2].callbackURLs;
    doc.clients[0].allowedOAuthScopes = ['openid'];
    const { message } = errorOf(() => parsePool(doc));
    expect(message).toContain(
      'clients[2].callbackURLs: code and implicit need at least one callback URL',
    );
    expect(message).toContain(
      'clients[0].allowedOAuthScopes: client_credentials takes custom scopes only',
    );
  });

  it('rejects unknown keys (a typo must not silently fall back to a default)', async () => {
    const doc = await demo();
    Object.assign(doc.clients[0], { accessTokenValiditySeconds: 600 });
    expect(errorOf(() => parsePool(doc)).message).toMatch(
      /clients\[0\].*accessTokenValiditySeconds/,
    );
  });

  it.each([
    [{ domainPrefix: 'Weather' }, 'domain.domainPrefix: must be 1-63 lower-case letters'],
    [{ domainPrefix: 'my-cognito-fleet' }, 'domain.domainPrefix: must not contain "aws"'],
    [{}, 'domain: set exactly one of domainPrefix or customDomain'],
    [
      {
        domainPrefix: 'fleet',
        customDomain: {
          domainName: 'auth.example.com',
          certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123',
        },
      },
      'domain: set exactly one of domainPrefix or customDomain',
    ],
    [
      {
        customDomain: {
          domainName: 'auth.example.com',
          certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123',
        },
      },
      'domain.customDomain.certificateArn: must be an ACM certificate ARN in us-east-1',
    ],
  ])('refuses the domain %j, naming the field', async (domain, message) => {
    const doc = await demo();
    doc.domain = domain;
    expect(errorOf(() => parsePool(doc)).message).toContain(message);
  });

  it('accepts a custom domain with a us-east-1 certificate', async () => {
    const doc = await demo();
    const customDomain = {
      domainName: 'auth.example.com',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123',
    };
    doc.domain = { customDomain };
    expect(parsePool(doc).domain).toEqual({ customDomain });
  });

  it('refuses user pool settings Cognito would refuse, and unknown ones', async () => {
    const doc = await demo();
    doc.userPool = {
      userPoolName: 'weather/fleet',
      deletionProtection: 'ON' as 'ACTIVE',
      selfSignUp: true,
    } as PoolDocument['userPool'];
    const { message } = errorOf(() => parsePool(doc));
    expect(message).toContain('userPool.userPoolName: may hold only letters');
    expect(message).toContain('userPool.deletionProtection');
    expect(message).toMatch(/userPool.*selfSignUp/);
  });

  it('refuses client credentials mixed with user-facing OAuth flows, and bad client names', async () => {
    const doc = await demo();
    doc.clients[0].allowedOAuthFlows = ['client_credentials', 'code'];
    doc.clients[1].clientName = 'Weather <admin>';
    const { message } = errorOf(() => parsePool(doc));
    expect(message).toContain(
      'clients[0].allowedOAuthFlows: client_credentials cannot be combined with code or implicit',
    );
    expect(message).toContain('clients[1].clientName: may hold only letters');
  });

  it('checks that services name declared resource servers and machine clients', async () => {
    const doc = await demo();
    doc.services = {
      'weather-api': { resourceServers: ['weather-api', 'billing-api'] },
      caller: { clients: { OAUTH: 'weather-web', OAUTH_WRITE: 'nobody' } },
    };
    const { message } = errorOf(() => parsePool(doc));
    expect(message).toContain(
      'services.weather-api.resourceServers[1]: unknown resource server "billing-api"',
    );
    expect(message).toContain(
      'services.caller.clients.OAUTH: client "weather-web" allows neither client_credentials nor ALLOW_CLIENT_TOKEN_AUTH',
    );
    expect(message).toContain('services.caller.clients.OAUTH_WRITE: unknown client "nobody"');
  });

  it('lets a service use a GetClientToken-only client', async () => {
    const doc = await demo();
    doc.services = { caller: { clients: { OAUTH_SDK: 'weather-sdk-caller' } } };
    expect(parsePool(doc).services.caller.clients).toEqual({ OAUTH_SDK: 'weather-sdk-caller' });
  });

  it('takes the issuer type and refuses others', async () => {
    const doc = await demo();
    doc.userPool = { issuerConfiguration: { type: 'UPDATED' } };
    expect(parsePool(doc).userPool.issuerConfiguration).toEqual({ type: 'UPDATED' });
    doc.userPool = { issuerConfiguration: { type: 'REGIONAL' as 'UPDATED' } };
    expect(errorOf(() => parsePool(doc)).message).toContain(
      'userPool.issuerConfiguration.type: Invalid option: expected one of "ORIGINAL"|"UPDATED"',
    );
  });

  it.each([
    [{ lambdaVersion: 'V2_0', module: 't.mjs' }, 'lambdaVersion: must be "V3_0"'],
    [{ lambdaVersion: 'V3_0', module: 'trigger.ts' }, 'module: must name a JavaScript module'],
    [{ lambdaVersion: 'V3_0' }, 'preTokenGenerationConfig.module'],
    [
      { lambdaVersion: 'V3_0', module: 't.mjs', lambdaArn: 'arn:aws:lambda:x' },
      'preTokenGenerationConfig: Unrecognized key: "lambdaArn"',
    ],
  ])('refuses the trigger %j, naming the field', async (config, message) => {
    const doc = await demo();
    doc.userPool = {
      lambdaConfig: {
        preTokenGenerationConfig: config as { lambdaVersion: 'V3_0'; module: string },
      },
    };
    expect(errorOf(() => parsePool(doc)).message).toContain(
      `userPool.lambdaConfig.preTokenGenerationConfig`,
    );
    expect(errorOf(() => parsePool(doc)).message).toContain(message);
  });

  it('finds the trigger module beside the pool file, and names it when it is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pool-'));
    const doc = await demo();
    await writeFile(join(dir, 'pool.json'), JSON.stringify(doc));
    await expect(loadPool(join(dir, 'pool.json'), 'COGNITO_EMULATOR_POOL_FILE')).rejects.toThrow(
      `userPool.lambdaConfig.preTokenGenerationConfig.module: no file ${join(dir, 'triggers', 'tenant-claim.mjs')}`,
    );
    await mkdir(join(dir, 'triggers'));
    await writeFile(join(dir, 'triggers', 'tenant-claim.mjs'), 'export const handler = (e) => e;');
    expect(
      (await loadPool(join(dir, 'pool.json'))).userPool.lambdaConfig?.preTokenGenerationConfig,
    ).toEqual({ lambdaVersion: 'V3_0', module: 'triggers/tenant-claim.mjs' });
    // An absolute path works from wherever the pool file is copied to.
    const absolute = fileURLToPath(new URL('../triggers/tenant-claim.mjs', import.meta.url));
    expect(triggerModulePath(join(dirname(dir), 'elsewhere.json'), absolute)).toBe(absolute);
  });

  it('names service and variable prefixes that cannot be used', async () => {
    const doc = await demo();
    doc.services = { Caller: {}, caller: { clients: { 'oauth-x': 'weather-admin' } } };
    const { message } = errorOf(() => parsePool(doc));
    expect(message).toContain('must be a kebab-case service name');
    expect(message).toContain('must be an upper-case variable prefix');
  });

  it('names the file when it is missing or not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pool-'));
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ not json');
    await expect(loadPool(bad, 'COGNITO_EMULATOR_POOL_FILE')).rejects.toThrow(
      /COGNITO_EMULATOR_POOL_FILE: .*bad\.json is not valid JSON/,
    );
    await expect(loadPool(join(dir, 'missing.json'))).rejects.toMatchObject({
      code: 'invalid_pool_file',
    });
  });
});
