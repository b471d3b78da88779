import { parsePool } from '@app/fleet-auth';
import { ClientAuthenticator, parseBasic, secretsEqual } from './client-authenticator.js';
import { OAuthError } from './oauth.error.js';
import { parseTokenForm } from './token-request.js';

const pool = parsePool({
  userPoolId: 'local_test',
  resourceServers: [{ identifier: 'api', name: 'API', scopes: [{ name: 'read' }] }],
  clients: [
    {
      clientId: 'svc',
      clientSecret: 's3cret:with:colons',
      allowedOAuthFlows: ['client_credentials'],
      allowedOAuthScopes: ['api/read'],
    },
    { clientId: 'pub', clientSecret: null },
  ],
});

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
  const auth = new ClientAuthenticator(pool);

  it('splits Basic credentials at the first colon only', () => {
    expect(parseBasic(`Basic ${b64('svc:s3cret:with:colons')}`)).toEqual({
      id: 'svc',
      secret: 's3cret:with:colons',
    });
    expect(
      auth.authenticate({
        authorization: `basic ${b64('svc:s3cret:with:colons')}`,
        bodyClientId: undefined,
        bodyClientSecret: undefined,
      }).clientId,
    ).toBe('svc');
  });

  it('takes Basic credentials as they are, without form-urldecoding (as Cognito)', () => {
    expect(parseBasic(`Basic ${b64('a+b%2Fc:p+q%25 r')}`)).toEqual({
      id: 'a+b%2Fc',
      secret: 'p+q%25 r',
    });
  });

  it.each([['Basic'], ['Basic a'], [`Basic ${b64(':secret')}`], ['Digest abc']])(
    'calls %j malformed (invalid_request)',
    (header) => {
      expect(codeOf(() => parseBasic(header))).toBe('invalid_request');
    },
  );

  it('accepts a public client by id alone and refuses it with a secret', () => {
    const none = { authorization: undefined, bodyClientSecret: undefined };
    expect(auth.authenticate({ ...none, bodyClientId: 'pub' }).clientId).toBe('pub');
    expect(
      codeOf(() => auth.authenticate({ ...none, bodyClientId: 'pub', bodyClientSecret: 'x' })),
    ).toBe('invalid_client');
  });

  it('compares secrets of any length without throwing', () => {
    expect(secretsEqual('a', 'a')).toBe(true);
    expect(secretsEqual('a', 'a'.repeat(1000))).toBe(false);
    expect(secretsEqual('', 'x')).toBe(false);
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
