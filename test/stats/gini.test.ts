import { describe, expect, it } from 'vitest';
import { gini } from '../../src/stats/gini.js';
import { createRng } from '../../src/stats/rng.js';

/** Independent definition: mean absolute difference over all ordered pairs, G = sum|xi - xj| / (2 n sum x). */
function giniByPairs(x: number[]): number {
  const n = x.length;
  let pairs = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += x[i]!;
    for (let j = 0; j < n; j++) pairs += Math.abs(x[i]! - x[j]!);
  }
  return pairs / (2 * n * total);
}

describe('gini', () => {
  it('is 0 when every item gets the same exposure', () => {
    expect(gini([3, 3, 3, 3])).toBe(0);
    expect(gini(new Float64Array(1000).fill(17))).toBeCloseTo(0, 14);
    expect(gini([5])).toBe(0);
  });

  it('is (K-1)/K when one of K items gets everything, counting unexposed items as zeros', () => {
    expect(gini([0, 0, 5, 0])).toBeCloseTo(3 / 4, 15);
    expect(gini([7], 10)).toBeCloseTo(9 / 10, 15); // a GROUP BY returned one item of a 10-item catalog
    expect(gini([2], 1)).toBe(0);
    expect(gini(new Uint32Array([1]), 1000)).toBeCloseTo(999 / 1000, 15);
  });

  it('matches a hand-worked example', () => {
    // counts 1,2,3,4 in a catalog of 5 -> sorted 0,1,2,3,4; n = 5, sum = 10.
    // sum (2i - n - 1) x_(i) = -4*0 - 2*1 + 0*2 + 2*3 + 4*4 = 20; G = 20 / (5 * 10) = 0.4.
    // Pairs check: sum over ordered pairs |xi - xj| = 2 * (4*1 + 3*2 + 2*3 + 1*4) = 40; 40 / (2 * 5 * 10) = 0.4.
    expect(gini([4, 1, 3, 2], 5)).toBeCloseTo(0.4, 15);
    // Without the never-exposed item: sorted 1,2,3,4, sum (2i-5) x = -3 - 2 + 3 + 12 = 10; 10 / (4 * 10) = 0.25.
    expect(gini([4, 1, 3, 2])).toBeCloseTo(0.25, 15);
  });

  it('agrees with the mean-absolute-difference definition on random count vectors (seed 11)', () => {
    const rng = createRng(11);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + rng.int(60);
      const x: number[] = Array.from({ length: n }, () => (rng.next() < 0.3 ? 0 : rng.int(1000)));
      if (!x.some((v) => v > 0)) x[0] = 1;
      expect(gini(x)).toBeCloseTo(giniByPairs(x), 12);
    }
  });

  it('is invariant to scaling and to the order of items', () => {
    const x = [12, 0, 3, 99, 41, 7, 7, 1];
    const g = gini(x);
    expect(gini(x.map((v) => v * 3.7))).toBeCloseTo(g, 14);
    expect(gini(x.map((v) => v / 1e6))).toBeCloseTo(g, 14);
    expect(gini([...x].reverse())).toBeCloseTo(g, 15);
  });

  it('is NaN without any exposure', () => {
    expect(gini([0, 0, 0])).toBeNaN();
    expect(gini([])).toBeNaN();
    expect(gini([], 5)).toBeNaN();
  });

  it('rejects invalid input with RangeError', () => {
    expect(() => gini([1, -2, 3])).toThrow(RangeError);
    expect(() => gini([1, Number.NaN])).toThrow(/counts\[1\]/);
    expect(() => gini([1, Infinity])).toThrow(RangeError);
    expect(() => gini([1, 2, 3], 2)).toThrow(/catalogSize/);
    expect(() => gini([1, 2], 2.5)).toThrow(RangeError);
  });
});
