import { parsePool } from '@app/fleet-auth';
import { ClientSecrets } from '../clients/client-secrets.js';
import { ClientAuthenticator, parseBasic } from './client-authenticator.js';
import { OAuthError } from './oauth.error.js';
import { parseTokenForm } from './token-request.js';
import { PoolStore } from '../pool/pool-store.js';

const pool = new PoolStore(
  parsePool({
    userPoolId: 'eu-west-1_Test',
    resourceServers: [{ identifier: 'api', name: 'API', scopes: [{ name: 'read' }] }],
    clients: [
      {
        clientId: 'svc',
        clientSecret: 's3cret:with:colons',
        allowedOAuthFlows: ['client_credentials'],
        allowedOAuthScopes: ['api/read'],
      },
      { clientId: 'pub', clientSecret: null },
      {
        clientId: 'a+b',
        clientSecret: 'p+q%r',
        allowedOAuthFlows: ['client_credentials'],
        allowedOAuthScopes: ['api/read'],
      },
    ],
  }),
);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OAuthError);
    return (e as OAuthError).code;
  }
  throw new Error('expected an OAuthError');
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('client authentication', () => {
  const auth = new ClientAuthenticator(new ClientSecrets(pool));

  it('splits Basic credentials at the first colon only', () => {
    expect(parseBasic(`Basic ${b64('svc:s3cret:with:colons')}`)[0]).toEqual({
      id: 'svc',
      secret: 's3cret:with:colons',
    });
    expect(auth.authenticate(new Map(), `basic ${b64('svc:s3cret:with:colons')}`).clientId).toBe(
      'svc',
    );
  });

  it('reads Basic credentials both as they are and form-decoded (RFC 6749 §2.3.1)', () => {
    expect(parseBasic(`Basic ${b64('a+b%2Fc:p+q%25 r')}`)).toEqual([
      { id: 'a+b%2Fc', secret: 'p+q%25 r' },
      { id: 'a b/c', secret: 'p q% r' },
    ]);
    // Nothing to decode, or not decodable (a lone "%"): the raw reading alone.
    expect(parseBasic(`Basic ${b64('svc:plain')}`)).toEqual([{ id: 'svc', secret: 'plain' }]);
    expect(parseBasic(`Basic ${b64('a:100%')}`)).toEqual([{ id: 'a', secret: '100%' }]);
  });

  it('accepts raw and form-encoded Basic credentials, and nothing in between', () => {
    const basic = (id: string, secret: string) =>
      auth.authenticate(new Map(), `Basic ${b64(`${id}:${secret}`)}`);
    expect(basic('a+b', 'p+q%r').clientId).toBe('a+b');
    expect(basic('a%2Bb', 'p%2Bq%25r').clientId).toBe('a+b');
    expect(basic('svc', 's3cret%3Awith%3Acolons').clientId).toBe('svc');
    // Raw id with the encoded secret, or the reverse: neither reading matches.
    expect(codeOf(() => basic('a+b', 'p%2Bq%25r'))).toBe('invalid_client');
    expect(codeOf(() => basic('a%2Bb', 'p+q%r'))).toBe('invalid_client');
    expect(codeOf(() => basic('nobody', 'x'))).toBe('invalid_client');
  });

  it.each([['Basic'], ['Basic a'], [`Basic ${b64(':secret')}`], ['Digest abc']])(
    'calls %j malformed (invalid_request)',
    (header) => {
      expect(codeOf(() => parseBasic(header))).toBe('invalid_request');
    },
  );

  it('accepts a public client by id alone and refuses it with a secret', () => {
    const post = (fields: Record<string, string>) =>
      auth.authenticate(new Map(Object.entries(fields)), undefined);
    expect(post({ client_id: 'pub' }).clientId).toBe('pub');
    expect(codeOf(() => post({ client_id: 'pub', client_secret: 'x' }))).toBe('invalid_client');
  });
});

describe('client authentication during a secret rotation', () => {
  const store = new PoolStore(
    parsePool({
      userPoolId: 'eu-west-1_Test',
      resourceServers: [{ identifier: 'api', name: 'API', scopes: [{ name: 'read' }] }],
      clients: [
        {
          clientId: 'rot',
          clientSecret: ['old-secret', 'new-secret'],
          allowedOAuthFlows: ['client_credentials'],
          allowedOAuthScopes: ['api/read'],
        },
        { clientId: 'pub', clientSecret: null },
      ],
    }),
  );
  const secrets = new ClientSecrets(store);
  const auth = new ClientAuthenticator(secrets);
  const apiCheck = (id: string, secret: string) =>
    secrets.check([{ id, secret }]).authenticated?.clientId;
  const basic = (id: string, secret: string) =>
    auth.authenticate(new Map(), `Basic ${b64(`${id}:${secret}`)}`);
  const post = (id: string, secret: string) =>
    auth.authenticate(
      new Map([
        ['client_id', id],
        ['client_secret', secret],
      ]),
      undefined,
    );

  it('accepts either active secret, by Basic and in the body, and refuses a deleted one at once', () => {
    for (const secret of ['old-secret', 'new-secret']) {
      expect(basic('rot', secret).clientId).toBe('rot');
      expect(post('rot', secret).clientId).toBe('rot');
      expect(apiCheck('rot', secret)).toBe('rot');
    }
    store.deleteClientSecret('rot', store.clientMeta('rot')!.secrets[0].id);
    expect(codeOf(() => basic('rot', 'old-secret'))).toBe('invalid_client');
    expect(codeOf(() => post('rot', 'old-secret'))).toBe('invalid_client');
    expect(apiCheck('rot', 'old-secret')).toBeUndefined();
    expect(basic('rot', 'new-secret').clientId).toBe('rot');
  });
});

describe('token form', () => {
  const form = 'application/x-www-form-urlencoded';

  it('decodes the form and treats empty values as absent', () => {
    const parsed = parseTokenForm(
      `${form}; charset=UTF-8`,
      Buffer.from('grant_type=client_credentials&scope=api%2Fread+api%2Fwrite&client_secret='),
    );
    expect(Object.fromEntries(parsed)).toEqual({
      grant_type: 'client_credentials',
      scope: 'api/read api/write',
    });
  });

  it('rejects repeated parameters, even when one is empty', () => {
    expect(codeOf(() => parseTokenForm(form, Buffer.from('scope=&scope=a')))).toBe(
      'invalid_request',
    );
  });
});
