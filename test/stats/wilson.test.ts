import { describe, expect, it } from 'vitest';
import { normalQuantile } from '../../src/stats/normal.js';
import { createRng } from '../../src/stats/rng.js';
import { wilsonInterval } from '../../src/stats/wilson.js';

/** Binomial(n, p) probabilities by the recurrence pmf(k+1) = pmf(k) (n-k)/(k+1) p/(1-p). */
function binomialPmf(n: number, p: number): number[] {
  const pmf = [(1 - p) ** n];
  for (let k = 0; k < n; k++) pmf.push((pmf[k]! * (n - k) * p) / ((k + 1) * (1 - p)));
  return pmf;
}

describe('wilsonInterval', () => {
  it('reproduces Newcombe (1998, single proportion) Table I, method 3 (score, no continuity correction)', () => {
    const cases: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [x, n, lo, hi] of cases) {
      const ci = wilsonInterval(x, n);
      expect(ci.estimate).toBeCloseTo(x / n, 15);
      // Table printed to 4 decimals: tolerance half a unit in the last place.
      expect(Math.abs(ci.lower - lo)).toBeLessThanOrEqual(5e-5);
      expect(Math.abs(ci.upper - hi)).toBeLessThanOrEqual(5e-5);
    }
  });

  it('has bounds that solve the score equation |x/n - p| = z sqrt(p (1 - p) / n)', () => {
    for (const [x, n, conf] of [[7, 40, 0.95], [33, 50, 0.9], [2, 1000, 0.99]] as const) {
      const z = normalQuantile(0.5 + conf / 2);
      const ci = wilsonInterval(x, n, conf);
      for (const p of [ci.lower, ci.upper]) {
        expect(Math.abs(x / n - p)).toBeCloseTo(z * Math.sqrt((p * (1 - p)) / n), 13);
      }
    }
  });

  it('is exactly 0 / 1 at the boundaries and mirror-symmetric: CI(n-x) = 1 - CI(x)', () => {
    expect(wilsonInterval(0, 10).lower).toBe(0);
    expect(wilsonInterval(10, 10).upper).toBe(1);
    const a = wilsonInterval(3, 17), b = wilsonInterval(14, 17);
    expect(a.lower).toBeCloseTo(1 - b.upper, 14);
    expect(a.upper).toBeCloseTo(1 - b.lower, 14);
  });

  it('has near-nominal coverage: exact enumeration, and Monte-Carlo agreeing with it (seed 2024)', () => {
    const n = 40;
    const p = 0.23;
    const pmf = binomialPmf(n, p);
    let exact = 0;
    for (let x = 0; x <= n; x++) {
      const ci = wilsonInterval(x, n);
      if (ci.lower <= p && p <= ci.upper) exact += pmf[x]!;
    }
    // Wilson's coverage oscillates around the nominal level as p varies (Newcombe 1998; Brown, Cai & DasGupta 2001,
    // Statistical Science 16); a loose band here catches gross errors, the Monte-Carlo check below the exact figure.
    expect(exact).toBeGreaterThan(0.92);
    expect(exact).toBeLessThan(0.98);

    const rng = createRng(2024);
    const reps = 5000;
    let covered = 0;
    for (let r = 0; r < reps; r++) {
      let x = 0;
      for (let i = 0; i < n; i++) if (rng.next() < p) x++;
      const ci = wilsonInterval(x, n);
      if (ci.lower <= p && p <= ci.upper) covered++;
    }
    // Tolerance: 4 binomial standard errors of the Monte-Carlo proportion, sqrt(c (1 - c) / reps) ~ 0.003.
    expect(Math.abs(covered / reps - exact)).toBeLessThan(4 * Math.sqrt((exact * (1 - exact)) / reps));
  });

  it('rejects impossible counts and confidence levels', () => {
    expect(() => wilsonInterval(5, 4)).toThrow(/successes/);
    expect(() => wilsonInterval(-1, 4)).toThrow(RangeError);
    expect(() => wilsonInterval(0, 0)).toThrow(/n must/);
    expect(() => wilsonInterval(1, 4, 1)).toThrow(/confidence/);
    expect(() => wilsonInterval(Number.NaN, 4)).toThrow(RangeError);
  });
});
