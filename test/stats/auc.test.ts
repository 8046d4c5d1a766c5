import { describe, expect, it } from 'vitest';
import { aucMannWhitney } from '../../src/stats/auc.js';
import { createRng } from '../../src/stats/rng.js';

describe('aucMannWhitney', () => {
  it('is 1 for perfect separation, 0 for reversed and 0.5 when every score ties', () => {
    expect(aucMannWhitney([1, 2, 3, 4], [0, 0, 1, 1]).auc).toBe(1);
    expect(aucMannWhitney([1, 2, 3, 4], [1, 1, 0, 0]).auc).toBe(0);
    expect(aucMannWhitney([5, 5, 5, 5], [1, 0, 1, 0]).auc).toBe(0.5);
  });
  it('counts pairs: P(positive > negative) + ties / 2', () => {
    // positives 2, 4, 4; negatives 1, 4, 5: wins (2>1), (4>1)x2, ties (4=4)x2 -> (3 + 1) / 9
    expect(aucMannWhitney([2, 4, 4, 1, 4, 5], [1, 1, 1, 0, 0, 0]).auc).toBeCloseTo(4 / 9, 15);
  });
  it('averages 1/2 with variance (n1 + n0 + 1) / (12 n1 n0) for uninformative scores (Mann-Whitney null)', () => {
    const rng = createRng(3);
    const n1 = 40, n0 = 60, reps = 3000;
    let s = 0, s2 = 0;
    for (let r = 0; r < reps; r++) {
      const scores = Array.from({ length: n1 + n0 }, () => rng.next());
      const labels = scores.map((_, i) => (i < n1 ? 1 : 0));
      const a = aucMannWhitney(scores, labels).auc;
      s += a;
      s2 += a * a;
    }
    const mean = s / reps, variance = s2 / reps - mean * mean;
    const v0 = (n1 + n0 + 1) / (12 * n1 * n0);
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(v0 / reps));
    expect(variance / v0).toBeGreaterThan(0.9);
    expect(variance / v0).toBeLessThan(1.1);
  });
  it('returns NaN with one class only and rejects bad labels', () => {
    expect(aucMannWhitney([1, 2], [1, 1]).auc).toBeNaN();
    expect(() => aucMannWhitney([1, 2], [1, 2])).toThrow(RangeError);
  });
});
