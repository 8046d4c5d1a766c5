import jstatModule from 'jstat';
import { describe, expect, it } from 'vitest';
import {
  newcombeDifferenceInterval,
  proportionDifference,
  twoProportionZTest,
} from '../../src/stats/proportion-diff.js';
import { createRng } from '../../src/stats/rng.js';

const { jStat } = jstatModule;

function binomialPmf(n: number, p: number): number[] {
  const pmf = [(1 - p) ** n];
  for (let k = 0; k < n; k++) pmf.push((pmf[k]! * (n - k) * p) / ((k + 1) * (1 - p)));
  return pmf;
}

describe('newcombeDifferenceInterval', () => {
  it('reproduces Newcombe (1998, difference of proportions) Table II, method 10', () => {
    // Examples (a), (b), (d)-(h) of the paper; 4 decimals, tolerance half a unit in the last place.
    const cases: [number, number, number, number, number, number][] = [
      [56, 70, 48, 80, 0.0524, 0.3339],
      [9, 10, 3, 10, 0.1705, 0.809],
      [5, 56, 0, 29, -0.0381, 0.1926],
      [0, 10, 0, 20, -0.1611, 0.2775],
      [0, 10, 0, 10, -0.2775, 0.2775],
      [10, 10, 0, 20, 0.6791, 1],
      [10, 10, 0, 10, 0.6075, 1],
    ];
    for (const [x1, n1, x2, n2, lo, hi] of cases) {
      const ci = newcombeDifferenceInterval(x1, n1, x2, n2);
      expect(ci.difference).toBeCloseTo(x1 / n1 - x2 / n2, 15);
      expect(Math.abs(ci.lower - lo)).toBeLessThanOrEqual(5e-5);
      expect(Math.abs(ci.upper - hi)).toBeLessThanOrEqual(5e-5);
    }
    expect(newcombeDifferenceInterval(56, 70, 48, 80).difference).toBeCloseTo(0.2, 15);
  });

  it('has near-nominal coverage: exact enumeration, and Monte-Carlo agreeing with it (seed 77)', () => {
    const [n1, n2, p1, p2] = [30, 45, 0.4, 0.25];
    const theta = p1 - p2;
    const f1 = binomialPmf(n1, p1), f2 = binomialPmf(n2, p2);
    let exact = 0;
    for (let a = 0; a <= n1; a++) {
      for (let b = 0; b <= n2; b++) {
        const ci = newcombeDifferenceInterval(a, n1, b, n2);
        if (ci.lower <= theta && theta <= ci.upper) exact += f1[a]! * f2[b]!;
      }
    }
    // Method 10's coverage is close to nominal over the parameter space (Newcombe 1998, Table III); a loose band
    // here catches gross errors, the Monte-Carlo check below the exact figure.
    expect(exact).toBeGreaterThan(0.92);
    expect(exact).toBeLessThan(0.98);

    const rng = createRng(77);
    const reps = 4000;
    let covered = 0;
    for (let r = 0; r < reps; r++) {
      let a = 0, b = 0;
      for (let i = 0; i < n1; i++) if (rng.next() < p1) a++;
      for (let i = 0; i < n2; i++) if (rng.next() < p2) b++;
      const ci = newcombeDifferenceInterval(a, n1, b, n2);
      if (ci.lower <= theta && theta <= ci.upper) covered++;
    }
    // Tolerance: 4 standard errors of the Monte-Carlo proportion (~0.0035 each).
    expect(Math.abs(covered / reps - exact)).toBeLessThan(4 * Math.sqrt((exact * (1 - exact)) / reps));
  });

  it('rejects invalid counts', () => {
    expect(() => newcombeDifferenceInterval(11, 10, 1, 10)).toThrow(/successes1/);
    expect(() => newcombeDifferenceInterval(1, 10, 1, 0)).toThrow(/n2/);
    expect(() => newcombeDifferenceInterval(1, 10, 1, 10, 0)).toThrow(/confidence/);
  });
});

describe('twoProportionZTest', () => {
  it("equals Pearson's chi-square test of the 2x2 table without continuity correction", () => {
    for (const [a, n1, c, n2] of [[56, 70, 48, 80], [9, 10, 3, 10], [120, 1000, 95, 1000], [3, 50, 9, 40]] as const) {
      // Table [[a, b], [c, d]]: chi2 = N (ad - bc)^2 / (r1 r2 c1 c2); p = P(chi2_1 > chi2) via jStat's gamma cdf.
      const b = n1 - a, d = n2 - c, N = n1 + n2;
      const chi2 = (N * (a * d - b * c) ** 2) / (n1 * n2 * (a + c) * (b + d));
      const t = twoProportionZTest(a, n1, c, n2);
      expect(t.z * t.z).toBeCloseTo(chi2, 10);
      expect(Math.sign(t.z)).toBe(Math.sign(a / n1 - c / n2));
      // jStat's regularized gamma is accurate to ~1e-9, hence the tolerance.
      expect(Math.abs(t.pValue - (1 - jStat.chisquare.cdf(chi2, 1)))).toBeLessThan(1e-8);
    }
  });

  it('matches a hand calculation for 56/70 vs 48/80', () => {
    // pooled = 104/150 = 0.693333; se = sqrt(0.693333 * 0.306667 * (1/70 + 1/80)) = sqrt(0.0056952) = 0.0754666;
    // z = 0.2 / 0.0754666 = 2.65017; two-sided p = 2 Phi(-2.65017) = 0.00805.
    const t = twoProportionZTest(56, 70, 48, 80);
    expect(t.z).toBeCloseTo(0.2 / Math.sqrt((104 / 150) * (46 / 150) * (1 / 70 + 1 / 80)), 12);
    expect(t.z).toBeCloseTo(2.65017, 4);
    expect(Math.abs(t.pValue - 0.00805)).toBeLessThan(1e-5);
  });

  it('rejects at about the nominal rate under H0 (Monte-Carlo, seed 31)', () => {
    const rng = createRng(31);
    const reps = 4000, n = 200, p = 0.3;
    let rejected = 0;
    for (let r = 0; r < reps; r++) {
      let a = 0, b = 0;
      for (let i = 0; i < n; i++) {
        if (rng.next() < p) a++;
        if (rng.next() < p) b++;
      }
      if (twoProportionZTest(a, n, b, n).pValue < 0.05) rejected++;
    }
    // Tolerance: 4 standard errors of a 0.05 rate over 4000 replicates (0.0034 each), plus 0.005 for the
    // discreteness of the binomial at n = 200.
    expect(Math.abs(rejected / reps - 0.05)).toBeLessThan(4 * Math.sqrt((0.05 * 0.95) / reps) + 0.005);
  });

  it('returns z = 0, p = 1 when both samples are all failures or all successes', () => {
    expect(twoProportionZTest(0, 10, 0, 20)).toEqual({ z: 0, pValue: 1 });
    expect(twoProportionZTest(10, 10, 20, 20)).toEqual({ z: 0, pValue: 1 });
  });

  it('is combined with the interval in proportionDifference', () => {
    const r = proportionDifference(56, 70, 48, 80);
    expect(r.difference).toBeCloseTo(0.2, 15);
    expect(r.lower).toBeCloseTo(newcombeDifferenceInterval(56, 70, 48, 80).lower, 15);
    expect(r.pValue).toBeCloseTo(twoProportionZTest(56, 70, 48, 80).pValue, 15);
  });
});
