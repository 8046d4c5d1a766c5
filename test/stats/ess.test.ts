import { describe, expect, it } from 'vitest';
import { effectiveSampleSize } from '../../src/stats/ess.js';
import { createRng } from '../../src/stats/rng.js';

describe('effectiveSampleSize', () => {
  it('is n for equal weights and 1 for a single nonzero weight', () => {
    expect(effectiveSampleSize([2, 2, 2, 2, 2])).toBeCloseTo(5, 14);
    expect(effectiveSampleSize(new Float64Array(1000).fill(0.37))).toBeCloseTo(1000, 10);
    expect(effectiveSampleSize([0, 0, 4.2, 0])).toBe(1);
    expect(effectiveSampleSize([0, 3, 0, 3, 3])).toBeCloseTo(3, 14); // k equal nonzero weights -> k
  });

  it('matches a hand-worked value: w = (1, 2, 3) -> 6^2 / 14 = 18/7', () => {
    expect(effectiveSampleSize([1, 2, 3])).toBeCloseTo(18 / 7, 14);
  });

  it('is invariant to rescaling, even at extreme magnitudes', () => {
    expect(effectiveSampleSize([1e200, 2e200, 3e200])).toBeCloseTo(18 / 7, 13);
    expect(effectiveSampleSize([1e-200, 2e-200, 3e-200])).toBeCloseTo(18 / 7, 13);
  });

  it('gives the variance of a weighted mean: Var = sigma^2 / n_eff (Monte-Carlo, seed 8)', () => {
    // For fixed weights and iid y with variance 1, Var(sum w y / sum w) = sum w^2 / (sum w)^2 = 1 / n_eff.
    const rng = createRng(8);
    const w = Array.from({ length: 40 }, (_, i) => Math.exp(0.1 * i)); // skewed weights
    const neff = effectiveSampleSize(w);
    const sw = w.reduce((s, v) => s + v, 0);
    const reps = 20000;
    let s = 0, s2 = 0;
    for (let r = 0; r < reps; r++) {
      let m = 0;
      for (let i = 0; i < w.length; i++) m += w[i]! * rng.normal();
      m /= sw;
      s += m;
      s2 += m * m;
    }
    const variance = s2 / reps - (s / reps) ** 2;
    // The sample variance of normal draws has relative standard error sqrt(2 / reps) = 1%; tolerance 4 of them.
    expect(Math.abs(variance * neff - 1)).toBeLessThan(4 * Math.sqrt(2 / reps));
  });

  it('is 0 with no weight and rejects negative or non-finite weights', () => {
    expect(effectiveSampleSize([])).toBe(0);
    expect(effectiveSampleSize([0, 0])).toBe(0);
    expect(() => effectiveSampleSize([1, -1])).toThrow(/weights\[1\]/);
    expect(() => effectiveSampleSize([1, Infinity])).toThrow(RangeError);
  });
});
