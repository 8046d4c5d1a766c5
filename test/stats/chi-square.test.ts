import { describe, expect, it } from 'vitest';
import { chiSquareCdf, chiSquareHomogeneity, chiSquareSf } from '../../src/stats/chi-square.js';
import { regularizedIncompleteGamma } from '../../src/stats/incomplete-gamma.js';
import { normalCdf } from '../../src/stats/normal.js';
import { twoProportionZTest } from '../../src/stats/proportion-diff.js';

const close = (a: number, b: number, abs: number, rel = 0) =>
  expect(Math.abs(a - b)).toBeLessThanOrEqual(Math.max(abs, rel * Math.abs(b)));

describe('regularizedIncompleteGamma', () => {
  it('matches closed forms: P(1, x) = 1 - e^-x and Q(k, x) = e^-x sum_{j<k} x^j / j! (Poisson tail)', () => {
    for (const x of [1e-6, 0.3, 1, 4, 20, 80]) {
      close(regularizedIncompleteGamma(1, x).lower, -Math.expm1(-x), 0, 1e-14);
      close(regularizedIncompleteGamma(1, x).upper, Math.exp(-x), 0, 1e-13);
      for (const k of [2, 5, 12]) {
        let term = 1, sum = 1;
        for (let j = 1; j < k; j++) sum += term *= x / j;
        close(regularizedIncompleteGamma(k, x).upper, Math.exp(-x) * sum, 1e-300, 1e-12);
      }
    }
  });
  it('P + Q = 1 and the end points', () => {
    for (const [a, x] of [[0.5, 0.2], [3, 3.5], [50, 49], [200, 260]]) {
      const g = regularizedIncompleteGamma(a!, x!);
      close(g.lower + g.upper, 1, 1e-14);
    }
    expect(regularizedIncompleteGamma(2, 0)).toEqual({ lower: 0, upper: 1 });
    expect(() => regularizedIncompleteGamma(0, 1)).toThrow(RangeError);
  });
});

describe('chiSquareSf', () => {
  it('matches closed forms: df = 2 gives e^(-x/2), df = 1 gives 2 (1 - Phi(sqrt x))', () => {
    for (const x of [0.1, 1, 5, 30]) {
      close(chiSquareSf(x, 2), Math.exp(-x / 2), 0, 1e-13);
      close(chiSquareSf(x, 1), 2 * normalCdf(-Math.sqrt(x)), 0, 1e-12);
      close(chiSquareCdf(x, 2), -Math.expm1(-x / 2), 0, 1e-13);
    }
  });
  it('gives the textbook critical value: P(chi2_1 >= 3.8415) = 0.05', () => {
    close(chiSquareSf(3.841458820694124, 1), 0.05, 1e-14);
  });
  it('matches scipy 1.10.1 scipy.stats.chi2.sf to 1e-10 relative, far tails included', () => {
    const cases: Array<[number, number, number]> = [
      [1, 1, 0.31731050786291115],
      [10, 3, 0.01856613546304325],
      [0.5, 10, 0.999993388289439],
      [100, 50, 3.454931382984871e-5],
      [40, 80, 0.9999467979748875],
      [2000, 1000, 4.1436785914539184e-69],
      [300, 100, 7.4121008573230175e-22],
    ];
    for (const [x, df, p] of cases) close(chiSquareSf(x, df), p, 0, 1e-10);
  });
});

describe('chiSquareHomogeneity', () => {
  it('matches scipy 1.10.1 chi2_contingency(correction=False)', () => {
    const a = chiSquareHomogeneity([[20, 30, 50], [30, 30, 40]]);
    close(a.statistic, 3.1111111111111107, 1e-13);
    expect(a.df).toBe(2);
    close(a.pValue, 0.21107208779109024, 0, 1e-12);
    const b = chiSquareHomogeneity([[5, 0, 12, 7], [3, 4, 10, 1]]);
    close(b.statistic, 8.49810606060606, 1e-12);
    close(b.pValue, 0.03676454981654371, 0, 1e-12);
  });
  it('2 x 2: X^2 equals the square of the pooled two-proportion z statistic', () => {
    const t = chiSquareHomogeneity([[30, 70], [45, 55]]);
    const z = twoProportionZTest(30, 100, 45, 100);
    close(t.statistic, z.z * z.z, 1e-12);
    close(t.pValue, z.pValue, 1e-12);
  });
  it('drops empty columns and returns p = 1 when there is nothing to compare', () => {
    expect(chiSquareHomogeneity([[5, 0, 5], [5, 0, 5]]).df).toBe(1);
    expect(chiSquareHomogeneity([[7], [3]])).toEqual({ statistic: 0, df: 0, pValue: 1 });
    expect(() => chiSquareHomogeneity([[1, 2], [3]])).toThrow(RangeError);
  });
});
