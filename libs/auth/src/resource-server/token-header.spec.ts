import {
  TokenAlgorithmError,
  TokenMalformedError,
  UnknownKeyError,
} from './resource-server.errors.js';
import { checkTokenHeader } from './token-header.js';

const header = (fields: Record<string, unknown>) => ({ alg: 'RS256', kid: 'k1', ...fields });

describe('checkTokenHeader', () => {
  it('returns the kid of a well-formed RS256 header', () => {
    expect(checkTokenHeader(header({}))).toBe('k1');
  });

  it.each([
    ['a custom extension', { crit: ['x-custom'], 'x-custom': 1 }],
    ['an unencoded payload', { crit: ['b64'], b64: false }],
    ['an empty list', { crit: [] }],
    ['a non-list', { crit: 'b64' }],
  ])('refuses crit naming %s', (_what, fields) => {
    expect(() => checkTokenHeader(header(fields))).toThrow(TokenMalformedError);
    expect(() => checkTokenHeader(header(fields))).toThrow(
      'the token has a crit header this server does not understand',
    );
  });

  it.each([['none'], ['HS256'], ['RS512'], [undefined]])('refuses alg %s', (alg) => {
    expect(() => checkTokenHeader(header({ alg }))).toThrow(TokenAlgorithmError);
  });

  it.each([[null], [[]], ['RS256'], [1]])('refuses a header that is not an object: %j', (value) => {
    expect(() => checkTokenHeader(value)).toThrow(TokenMalformedError);
  });

  it.each([[undefined], [''], [7]])('refuses kid %j', (kid) => {
    expect(() => checkTokenHeader(header({ kid }))).toThrow(UnknownKeyError);
  });
});
