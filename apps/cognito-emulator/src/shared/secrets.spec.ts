import { secretsEqual } from './secrets.js';

describe('secretsEqual', () => {
  it('compares secrets of any length without throwing', () => {
    expect(secretsEqual('a', 'a')).toBe(true);
    expect(secretsEqual('a', 'a'.repeat(1000))).toBe(false);
    expect(secretsEqual('', 'x')).toBe(false);
  });
});
