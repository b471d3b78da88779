import { describeBounds, numberOption, withinBounds } from './number-option.js';

const fail = (name: string, why: string): never => {
  throw new Error(`${name} ${why}`);
};

describe('numberOption', () => {
  it('returns the value, or the fallback when it is undefined', () => {
    expect(numberOption('a', 7, 1, {}, fail)).toBe(7);
    expect(numberOption('a', undefined, 1, {}, fail)).toBe(1);
    expect(numberOption('a', 0, 1, {}, fail)).toBe(0);
  });

  it.each([
    [Number.NaN, {}, 'a must be a number >= 0'],
    [Number.POSITIVE_INFINITY, {}, 'a must be a number >= 0'],
    [-1, {}, 'a must be a number >= 0'],
    [0, { exclusiveMin: true }, 'a must be a number > 0'],
    [1.5, { min: 1, integer: true }, 'a must be an integer >= 1'],
    [2 ** 60, { integer: true }, 'a must be an integer >= 0'],
    [1.01, { min: 0, exclusiveMin: true, max: 1 }, 'a must be a number > 0 and <= 1'],
  ])('refuses %s with %o, naming the option and never the value', (value, bounds, message) => {
    expect(() => numberOption('a', value, 1, bounds, fail)).toThrow(message);
  });

  it('checks the fallback too (a default outside the bounds is a bug)', () => {
    expect(() => numberOption('a', undefined, -1, {}, fail)).toThrow('a must be a number >= 0');
  });

  it('describes bounds in words and agrees with withinBounds', () => {
    expect(describeBounds({ min: 1, max: 65535, integer: true })).toBe('an integer (1-65535)');
    expect(withinBounds(65535, { min: 1, max: 65535, integer: true })).toBe(true);
    expect(withinBounds(65536, { min: 1, max: 65535, integer: true })).toBe(false);
  });
});
