import { describe, expect, it } from 'vitest';
import { gini } from '../../src/stats/gini.js';
import { lorenzCurve } from '../../src/stats/lorenz.js';
import { createRng } from '../../src/stats/rng.js';

describe('lorenzCurve', () => {
  it('matches a hand-worked example with an unexposed catalog item', () => {
    // counts 4,1,3,2 plus one never-exposed item: sorted 0,1,2,3,4 of total 10.
    const { x, y } = lorenzCurve([4, 1, 3, 2], 5);
    expect(Array.from(x)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const expected = [0, 0, 0.1, 0.3, 0.6, 1];
    expected.forEach((v, i) => expect(y[i]).toBeCloseTo(v, 15));
  });

  it('is the diagonal for uniform exposure', () => {
    const { x, y } = lorenzCurve([2, 2, 2, 2]);
    for (let i = 0; i < x.length; i++) expect(y[i]).toBeCloseTo(x[i]!, 15);
  });

  it('starts at (0,0), ends at (1,1), and is non-decreasing and convex', () => {
    const { x, y } = lorenzCurve([9, 0, 3, 3, 1, 40], 8);
    expect([x[0], y[0], x[x.length - 1], y[y.length - 1]]).toEqual([0, 0, 1, 1]);
    for (let i = 1; i < y.length; i++) expect(y[i]!).toBeGreaterThanOrEqual(y[i - 1]!);
    for (let i = 2; i < y.length; i++) expect(y[i]! - y[i - 1]!).toBeGreaterThanOrEqual(y[i - 1]! - y[i - 2]! - 1e-15);
  });

  it('gives twice the area between the diagonal and the curve equal to the Gini coefficient (seed 5)', () => {
    const rng = createRng(5);
    for (let trial = 0; trial < 40; trial++) {
      const n = 1 + rng.int(50);
      const counts = Array.from({ length: n }, () => rng.int(300));
      counts[0] = counts[0]! + 1;
      const catalog = n + rng.int(20);
      const { x, y } = lorenzCurve(counts, catalog);
      let integral = 0; // trapezoid rule: exact for the piecewise-linear curve
      for (let i = 1; i < x.length; i++) integral += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
      expect(2 * (0.5 - integral)).toBeCloseTo(gini(counts, catalog), 12);
    }
  });

  it('returns NaN shares without exposure and rejects bad input', () => {
    const { y } = lorenzCurve([0, 0]);
    expect(Number.isNaN(y[1])).toBe(true);
    expect(() => lorenzCurve([1, -1])).toThrow(RangeError);
    expect(() => lorenzCurve([1, 1, 1], 2)).toThrow(/catalogSize/);
  });
});
