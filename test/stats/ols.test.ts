import { describe, expect, it } from 'vitest';
import { olsSlope } from '../../src/stats/ols.js';
import { createRng } from '../../src/stats/rng.js';

// Anscombe (1973), "Graphs in statistical analysis", The American Statistician 27(1), Table 1.
const X123 = [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5];
const ANSCOMBE: [number[], number[]][] = [
  [X123, [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68]],
  [X123, [9.14, 8.14, 8.74, 8.77, 9.26, 8.1, 6.13, 3.1, 9.13, 7.26, 4.74]],
  [X123, [7.46, 6.77, 12.74, 7.11, 7.81, 8.84, 6.08, 5.39, 8.15, 6.42, 5.73]],
  [[8, 8, 8, 8, 8, 8, 8, 19, 8, 8, 8], [6.58, 5.76, 7.71, 8.84, 8.47, 7.04, 5.25, 12.5, 5.56, 7.91, 6.89]],
];

describe('olsSlope', () => {
  it('recovers an exact line with zero standard error', () => {
    const x = [0, 1, 2, 3, 4, 5];
    const fit = olsSlope(x, x.map((v) => 2.5 - 1.25 * v));
    expect(fit.slope).toBeCloseTo(-1.25, 14);
    expect(fit.intercept).toBeCloseTo(2.5, 14);
    expect(fit.se).toBeLessThan(1e-14);
    expect(fit.n).toBe(6);
    expect(fit.df).toBe(4);
  });

  it("reproduces Anscombe's published statistics for all four data sets", () => {
    // Published (common to the four sets): y = 3 + 0.5 x, se(b) = 0.118, residual sum of squares 13.75 on 9 df.
    // Tolerances are half a unit in the last printed digit (3.00, 0.500, 0.118), except the residual SS, which the
    // four sets only share to within 0.027 (tolerance 0.03).
    for (const [x, y] of ANSCOMBE) {
      const fit = olsSlope(x, y);
      expect(Math.abs(fit.slope - 0.5)).toBeLessThan(5e-4);
      expect(Math.abs(fit.intercept - 3)).toBeLessThan(5e-3);
      expect(Math.abs(fit.se - 0.118)).toBeLessThan(5e-4);
      expect(fit.df).toBe(9);
      expect(Math.abs(fit.residualSe ** 2 * 9 - 13.75)).toBeLessThan(0.03);
      // t = b / se(b) = 4.24 in the paper.
      expect(Math.abs(fit.slope / fit.se - 4.24)).toBeLessThan(0.01);
    }
  });

  it('matches the hand-worked textbook formulas on a small data set', () => {
    // x = 1..5, y = 2, 4, 5, 4, 5: x_bar = 3, y_bar = 4, Sxx = 10, Sxy = -2*-2 + -1*0 + 0 + 1*0 + 2*1 = 6,
    // b = 0.6, a = 2.2; residuals -0.8, 0.6, 1.0, -0.6, -0.2 -> RSS = 2.4, s^2 = 0.8, se(b) = sqrt(0.08),
    // se(a) = sqrt(0.8 (1/5 + 9/10)) = sqrt(0.88); t_{0.975, 3} = 3.1824463052837096 (40-digit mpmath root of the
    // incomplete-beta cdf) -> CI = 0.6 -+ 3.182446 sqrt(0.08).
    const fit = olsSlope([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]);
    expect(fit.slope).toBeCloseTo(0.6, 14);
    expect(fit.intercept).toBeCloseTo(2.2, 14);
    expect(fit.se).toBeCloseTo(Math.sqrt(0.08), 14);
    expect(fit.interceptSe).toBeCloseTo(Math.sqrt(0.88), 14);
    expect(fit.ci[0]).toBeCloseTo(0.6 - 3.1824463052837096 * Math.sqrt(0.08), 13);
    expect(fit.ci[1]).toBeCloseTo(0.6 + 3.1824463052837096 * Math.sqrt(0.08), 13);
  });

  it('with integer weights gives the same line as replicating rows, and ignores the scale of the weights', () => {
    const x = [0.1, 0.4, 0.2, 0.9, 0.5];
    const y = [0.12, 0.35, 0.3, 1.1, 0.48];
    const w = [1, 3, 2, 1, 2];
    const xr: number[] = [], yr: number[] = [];
    w.forEach((k, i) => { for (let j = 0; j < k; j++) { xr.push(x[i]!); yr.push(y[i]!); } });
    const weighted = olsSlope(x, y, 0.95, w);
    const replicated = olsSlope(xr, yr);
    expect(weighted.slope).toBeCloseTo(replicated.slope, 13);
    expect(weighted.intercept).toBeCloseTo(replicated.intercept, 13);
    expect(weighted.n).toBe(5);
    const scaled = olsSlope(x, y, 0.95, w.map((v) => v * 7.5));
    expect(scaled.se).toBeCloseTo(weighted.se, 13);
    expect(scaled.ci[0]).toBeCloseTo(weighted.ci[0], 13);
    // Zero weight = observation dropped.
    const dropped = olsSlope([...x, 50], [...y, -40], 0.95, [...w, 0]);
    expect(dropped.slope).toBeCloseTo(weighted.slope, 13);
    expect(dropped.n).toBe(5);
  });

  it('has nominal coverage of the slope interval (Monte-Carlo, seed 101)', () => {
    const rng = createRng(101);
    const n = 20, reps = 3000, beta = 0.8;
    const x = Array.from({ length: n }, (_, i) => i / 10);
    let covered = 0;
    for (let r = 0; r < reps; r++) {
      const y = x.map((v) => 1 + beta * v + 0.5 * rng.normal());
      const { ci } = olsSlope(x, y);
      if (ci[0] <= beta && beta <= ci[1]) covered++;
    }
    // Exact 0.95 under normal errors; tolerance 4 Monte-Carlo standard errors sqrt(0.95 * 0.05 / 3000) = 0.004.
    expect(Math.abs(covered / reps - 0.95)).toBeLessThan(4 * Math.sqrt((0.95 * 0.05) / reps));
  });

  it('has nominal coverage with precision weights under heteroscedastic errors (Monte-Carlo, seed 202)', () => {
    const rng = createRng(202);
    const n = 25, reps = 3000, beta = 1.3;
    const x = Array.from({ length: n }, (_, i) => (i % 5) + i / 25);
    const w = Array.from({ length: n }, (_, i) => 1 + (i % 7)); // Var(y_i) = 0.4^2 / w_i
    let covered = 0;
    for (let r = 0; r < reps; r++) {
      const y = x.map((v, i) => -0.5 + beta * v + (0.4 / Math.sqrt(w[i]!)) * rng.normal());
      const { ci } = olsSlope(x, y, 0.9, w);
      if (ci[0] <= beta && beta <= ci[1]) covered++;
    }
    // Exact 0.90 for WLS with correct weights; tolerance 4 standard errors sqrt(0.9 * 0.1 / 3000) = 0.0055.
    expect(Math.abs(covered / reps - 0.9)).toBeLessThan(4 * Math.sqrt((0.9 * 0.1) / reps));
  });

  it('rejects invalid input', () => {
    expect(() => olsSlope([1, 2, 3], [1, 2])).toThrow(/same length/);
    expect(() => olsSlope([1, 2], [1, 2])).toThrow(/at least 3/);
    expect(() => olsSlope([2, 2, 2], [1, 2, 3])).toThrow(/no variation/);
    expect(() => olsSlope([1, 2, Number.NaN], [1, 2, 3])).toThrow(/x\[2\]/);
    expect(() => olsSlope([1, 2, 3], [1, 2, 3], 0.95, [1, -1, 1])).toThrow(/weights\[1\]/);
    expect(() => olsSlope([1, 2, 3], [1, 2, 3], 0.95, [1, 1])).toThrow(/same length/);
    expect(() => olsSlope([1, 2, 3], [1, 2, 3], 1.5)).toThrow(/confidence/);
  });
});
