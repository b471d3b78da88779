// The `api` transport (Cognito's GetClientToken, AWS JSON 1.1) through the TokenProvider,
// against a real HTTP server on loopback that answers as Cognito does: the request on the
// wire, the answer, Cognito's errors as the library's, and the token endpoint's policy.
import { inspect } from 'node:util';
import { Registry } from 'prom-client';
import { ScriptedTokenEndpoint } from '../../../../test/helpers/scripted-token-endpoint.js';
import { TokenEndpointError, TokenEndpointUnavailableError } from './client.errors.js';
import { MemoryTokenCacheStore } from './token-cache.store.js';
import { TokenProvider } from './token-provider.js';
import type { TokenProviderOptions } from './token-provider.options.js';

const SECRET = 'api-unit-test-secret';

let endpoint: ScriptedTokenEndpoint;
let registry: Registry;
let sleeps: number[];
const providers: TokenProvider[] = [];

beforeEach(async () => {
  endpoint = new ScriptedTokenEndpoint();
  endpoint.respond = (res) => endpoint.apiOk(res);
  await endpoint.start();
  registry = new Registry();
  sleeps = [];
});
afterEach(async () => {
  for (const p of providers.splice(0)) p.close();
  await endpoint.stop();
});

function provider(options: Partial<TokenProviderOptions> = {}) {
  const p = new TokenProvider(
    {
      transport: 'api',
      apiEndpoint: endpoint.base,
      clientId: 'svc-api',
      clientSecret: SECRET,
      scopes: ['api/b', 'api/a'],
      ...options,
    },
    {
      registry,
      random: () => 0.5,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      logger: { warn: () => undefined, log: () => undefined, error: () => undefined },
    },
  );
  providers.push(p);
  return p;
}

const metric = async (name: string) => (await registry.getSingleMetricAsString(name)) ?? '';

describe('TokenProvider on the api transport (GetClientToken)', () => {
  it('sends AWS JSON 1.1 to POST / with the target, the id, the secret and the sorted scopes', async () => {
    const p = provider({ clientMetadata: { tenant: 'acme', region: 'eu' } });
    expect(await p.getToken()).toBe('tok-1');
    expect(await p.getToken()).toBe('tok-1');
    expect(endpoint.seen).toHaveLength(1);
    const [req] = endpoint.seen;
    expect(req.path).toBe('/');
    expect(req.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(req.headers['x-amz-target']).toBe('AWSCognitoIdentityProviderService.GetClientToken');
    // No SigV4 signature: Cognito takes none for this operation, and no AWS credentials exist here.
    expect(req.headers.authorization).toBeUndefined();
    expect(JSON.parse(req.text)).toEqual({
      ClientId: 'svc-api',
      Secret: SECRET,
      Scopes: ['api/a', 'api/b'],
      ClientMetadata: { region: 'eu', tenant: 'acme' },
    });
    expect(await metric('m2m_token_requests_total')).toContain(
      'm2m_token_requests_total{client_id="svc-api",outcome="success"} 1',
    );
  });

  it('omits Scopes and ClientMetadata when there are none: Cognito then grants every allowed scope', async () => {
    await provider({ scopes: [] }).getToken();
    expect(JSON.parse(endpoint.seen[0].text)).toEqual({ ClientId: 'svc-api', Secret: SECRET });
  });

  it('shares one request among 100 concurrent cold callers, as the token endpoint does', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    endpoint.respond = async (res) => {
      await gate;
      endpoint.apiOk(res);
    };
    const p = provider();
    const all = Promise.all(Array.from({ length: 100 }, () => p.getToken()));
    await vi.waitFor(() => expect(endpoint.seen).toHaveLength(1));
    release();
    expect(new Set(await all)).toEqual(new Set(['tok-1']));
    expect(endpoint.seen).toHaveLength(1);
  });

  it.each([
    ['NotAuthorizedException', 400, 'invalid_client'],
    ['ResourceNotFoundException', 400, 'invalid_client'],
    ['InvalidParameterException', 400, 'invalid_scope'],
    ['ScopeDoesNotExistException', 400, 'invalid_scope'],
    ['UserLambdaValidationException', 400, 'invalid_request'],
    ['ForbiddenException', 403, 'unauthorized_client'],
    ['SomethingNewException', 400, 'unexpected_status'],
  ])(
    'answers %s as a TokenEndpointError %s, once, the AWS name in its cause',
    async (type, status, code) => {
      endpoint.respond = (res) => endpoint.awsError(res, status, type, `no ${SECRET}\r\nforged`);
      const error = (await provider()
        .getToken()
        .catch((e: unknown) => e)) as TokenEndpointError;
      expect(error).toBeInstanceOf(TokenEndpointError);
      expect(error).toMatchObject({ code, status, clientId: 'svc-api' });
      expect(error.cause).toMatchObject({ status, error: type });
      expect(error.description).toMatch(/^[\x20-\x7e]+$/);
      expect(endpoint.seen).toHaveLength(1);
      expect(sleeps).toEqual([]);
    },
  );

  it('reads a namespaced __type as its name', async () => {
    endpoint.respond = (res) =>
      endpoint.awsError(res, 400, 'com.amazonaws.cognito#NotAuthorizedException');
    await expect(provider().getToken()).rejects.toMatchObject({ code: 'invalid_client' });
  });

  it('retries TooManyRequestsException (a 400) and InternalErrorException (a 500) with backoff', async () => {
    let calls = 0;
    endpoint.respond = (res) => {
      calls += 1;
      if (calls === 1) return endpoint.awsError(res, 400, 'TooManyRequestsException');
      if (calls === 2) return endpoint.awsError(res, 500, 'InternalErrorException');
      return endpoint.apiOk(res);
    };
    expect(await provider().getToken()).toBe('tok-1');
    expect(endpoint.seen).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    const requests = await metric('m2m_token_requests_total');
    expect(requests).toContain('outcome="rate_limited"} 1');
    expect(requests).toContain('outcome="server_error"} 1');
  });

  it('gives up after the retry budget with TokenEndpointUnavailableError', async () => {
    endpoint.respond = (res) => endpoint.awsError(res, 400, 'TooManyRequestsException');
    await expect(provider({ retry: { maxAttempts: 3 } }).getToken()).rejects.toBeInstanceOf(
      TokenEndpointUnavailableError,
    );
    expect(endpoint.seen).toHaveLength(3);
  });

  it.each([
    ['no ClientAuthenticationResult', {}],
    ['a token without ExpiresIn', { ClientAuthenticationResult: { AccessToken: 'x' } }],
    [
      'a token type other than Bearer',
      { ClientAuthenticationResult: { AccessToken: 'x', ExpiresIn: 60, TokenType: 'MAC' } },
    ],
  ])('refuses a 200 with %s as invalid_token_response', async (_, body) => {
    endpoint.respond = (res) => endpoint.json(res, 200, body);
    await expect(provider().getToken()).rejects.toMatchObject({ code: 'invalid_token_response' });
  });

  it('keeps the secret out of every error and cause, however deeply inspected', async () => {
    endpoint.respond = (res) => endpoint.awsError(res, 400, 'NotAuthorizedException');
    const refused = await provider()
      .getToken()
      .catch((e: unknown) => e);
    await endpoint.stop();
    const down = await provider({ clientId: 'svc-api-2', retry: { maxAttempts: 2 } })
      .getToken()
      .catch((e: unknown) => e);
    await endpoint.start();
    expect(down).toBeInstanceOf(TokenEndpointUnavailableError);
    for (const error of [refused, down]) {
      const text = inspect(error, { depth: 10, showHidden: true }) + JSON.stringify(error);
      expect(text).not.toContain(SECRET);
    }
  });

  it('names another cache entry than the token endpoint, and than another metadata value', async () => {
    const cache = new MemoryTokenCacheStore();
    endpoint.respond = (res, seen) => (seen.path === '/' ? endpoint.apiOk(res) : endpoint.ok(res));
    const api = provider({ cache });
    const form = provider({
      cache,
      transport: 'token-endpoint',
      apiEndpoint: undefined,
      tokenUrl: endpoint.url,
    });
    const tenantA = provider({ cache, clientMetadata: { tenant: 'a' } });
    const tenantB = provider({ cache, clientMetadata: { tenant: 'b' } });
    const sameAsA = provider({ cache, clientMetadata: { tenant: 'a' } });
    const tokens = [];
    for (const p of [api, form, tenantA, tenantB, sameAsA]) tokens.push(await p.getToken());
    expect(tokens).toEqual(['tok-1', 'tok-2', 'tok-3', 'tok-4', 'tok-3']);
    expect(endpoint.seen.map((s) => s.path)).toEqual(['/', '/oauth2/token', '/', '/']);
  });
});
