import { describe, expect, it } from 'vitest';
import { topShare } from '../../src/stats/top-share.js';

describe('topShare', () => {
  it('matches a hand-worked example', () => {
    // [5, 1, 3, 1]: the two largest are 5 and 3, 8 of 10.
    expect(topShare([5, 1, 3, 1], 2)).toBeCloseTo(0.8, 15);
    expect(topShare([5, 1, 3, 1], 1)).toBeCloseTo(0.5, 15);
    expect(topShare(new Float64Array([1, 1, 1, 1]), 3)).toBeCloseTo(0.75, 15);
  });

  it('matches the closed form H_k / H_n on a Zipf vector x_i = 1/i', () => {
    const n = 500;
    const x = Array.from({ length: n }, (_, i) => 1 / (i + 1)).reverse();
    const harmonic = (k: number): number => {
      let h = 0;
      for (let i = 1; i <= k; i++) h += 1 / i;
      return h;
    };
    for (const k of [1, 10, 50, 250]) expect(topShare(x, k)).toBeCloseTo(harmonic(k) / harmonic(n), 13);
  });

  it('is 0 for k = 0, 1 for k >= n, NaN without exposure', () => {
    expect(topShare([1, 2, 3], 0)).toBe(0);
    expect(topShare([1, 2, 3], 3)).toBe(1);
    expect(topShare([1, 2, 3], 10)).toBe(1);
    expect(topShare([0, 0], 1)).toBeNaN();
  });

  it('rejects invalid k and counts', () => {
    expect(() => topShare([1, 2], -1)).toThrow(/k must be/);
    expect(() => topShare([1, 2], 1.5)).toThrow(RangeError);
    expect(() => topShare([1, -2], 1)).toThrow(RangeError);
  });
});
