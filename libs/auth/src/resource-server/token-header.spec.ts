import { TokenMalformedError } from './resource-server.errors.js';
import { checkTokenHeader } from './token-header.js';

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const token = (header: Record<string, unknown>) =>
  `${segment({ alg: 'RS256', kid: 'k1', ...header })}.${segment({ sub: 's' })}.c2ln`;

describe('checkTokenHeader', () => {
  it('returns the kid of a well-formed RS256 header', () => {
    expect(checkTokenHeader(token({}))).toBe('k1');
  });

  it.each([
    ['a custom extension', { crit: ['x-custom'], 'x-custom': 1 }],
    ['an unencoded payload', { crit: ['b64'], b64: false }],
    ['an empty list', { crit: [] }],
    ['a non-list', { crit: 'b64' }],
  ])('refuses crit naming %s', (_what, header) => {
    expect(() => checkTokenHeader(token(header))).toThrow(TokenMalformedError);
    expect(() => checkTokenHeader(token(header))).toThrow(
      'the token has a crit header this server does not understand',
    );
  });
});
