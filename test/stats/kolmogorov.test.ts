import { describe, expect, it } from 'vitest';
import { durbinMatrixCdf, kolmogorovSf, kolmogorovSmirnovSf, pelzGoodCdf, smirnovSf } from '../../src/stats/kolmogorov.js';

const close = (a: number, b: number, abs: number, rel = 0) =>
  expect(Math.abs(a - b)).toBeLessThanOrEqual(Math.max(abs, rel * Math.abs(b)));

describe('kolmogorovSf (limiting law)', () => {
  it('gives the classical critical values: K(1.3581) = 0.05, K(1.6276) = 0.01 (Smirnov 1948 table)', () => {
    close(kolmogorovSf(1.3580986393225507), 0.05, 1e-14);
    close(kolmogorovSf(1.6276236115189), 0.01, 1e-14);
  });
  it('matches scipy 1.10.1 scipy.special.kolmogorov on both series', () => {
    close(kolmogorovSf(0.5), 0.9639452436648751, 1e-15);
    close(kolmogorovSf(1.0), 0.26999967167735456, 1e-15);
    close(kolmogorovSf(2.0), 0.0006709252557796953, 0, 1e-13);
    expect(kolmogorovSf(0)).toBe(1);
  });
  it('is continuous at the switch between the two series (z = 0.82)', () => {
    // |K'(0.82)| is about 1.6, so a step of 2e-12 may move K by about 3.2e-12; a mismatch of the series would be far larger.
    close(kolmogorovSf(0.82 - 1e-12), kolmogorovSf(0.82 + 1e-12), 5e-12);
  });
});

describe('smirnovSf (one-sided, Birnbaum-Tingey)', () => {
  it('has the closed forms n = 1: 1 - x, and x >= 1: 0', () => {
    close(smirnovSf(1, 0.3), 0.7, 1e-16);
    expect(smirnovSf(7, 1)).toBe(0);
    expect(smirnovSf(7, 0)).toBe(1);
  });
  it('matches the sum by hand for n = 2: P(D+ >= x) = x [(1-x)^2 / x + 2 (1/2 - x)] for x < 1/2', () => {
    for (const x of [0.1, 0.25, 0.4]) close(smirnovSf(2, x), (1 - x) ** 2 + 2 * x * (0.5 - x), 1e-15);
  });
  it('matches scipy 1.10.1 scipy.special.smirnov', () => {
    const cases: Array<[number, number, number]> = [
      [5, 0.3, 0.34282],
      [10, 0.1, 0.7642052309],
      [10, 0.5, 0.003888705],
      [100, 0.1, 0.1265906584562817],
      [2000, 0.05, 4.371547897947515e-5],
      [100000, 0.005, 0.006715412488899804],
    ];
    for (const [n, x, p] of cases) close(smirnovSf(n, x), p, 0, 1e-8);
  });
});

describe('kolmogorovSmirnovSf (two-sided one-sample law, Simard-L\'Ecuyer)', () => {
  it('reproduces the 5% critical values of Miller (1956) / Massey (1951) tables: n=5 0.56328, n=10 0.40925, n=20 0.29408', () => {
    // The tables give 5 digits, so the p-value at the tabulated point is 0.05 to about 1e-5.
    close(kolmogorovSmirnovSf(5, 0.56328), 0.05, 2e-5);
    close(kolmogorovSmirnovSf(10, 0.40925), 0.05, 2e-5);
    close(kolmogorovSmirnovSf(20, 0.29408), 0.05, 2e-5);
  });
  it('has the Ruben-Gambino closed forms at the ends of the range', () => {
    close(kolmogorovSmirnovSf(3, 0.9), 2 * 0.1 ** 3, 1e-16); // x >= 1 - 1/n: 2 (1 - x)^n
    close(kolmogorovSmirnovSf(3, 0.2), 1 - (6 / 27) * (2 * 0.6 - 1) ** 3, 1e-15); // 1/(2n) <= x <= 1/n: 1 - n!/n^n (2nx - 1)^n
    expect(kolmogorovSmirnovSf(10, 0.05)).toBe(1); // x <= 1/(2n)
  });
  it('matches scipy 1.10.1 scipy.stats.kstwo.sf in every branch (Durbin, Pelz-Good, 2 x Smirnov)', () => {
    const cases: Array<[number, number, number]> = [
      [10, 0.2, 0.7487190399999999],
      [10, 0.7, 1.9544800000000034e-5],
      [100, 0.05, 0.9532159710635725],
      [100, 0.12, 0.10330374901819939],
      [100, 0.2, 0.0005551927327988775],
      [1000, 0.01, 0.9999496745370611],
      [1000, 0.03, 0.3226902143914636],
      [1000, 0.05, 0.013012074781090332],
      [1000, 0.1, 3.703687096817711e-9],
      [50000, 0.004, 0.3994316646755731],
      [50000, 0.01, 9.018048811843602e-5],
      [250000, 0.002, 0.26964259864783624],
      [250000, 0.003, 0.02217349052208376],
      [500000, 0.0015, 0.21034190155828947],
      [500000, 0.003, 0.00024632301239186754],
    ];
    for (const [n, x, p] of cases) close(kolmogorovSmirnovSf(n, x), p, 1e-10, 1e-8);
  });
  it('agrees between the Durbin matrix (exact) and Pelz-Good (asymptotic) for large n', () => {
    // Pelz-Good's error is O(n^-2): at n = 20000 the two agree to about 1e-10.
    for (const x of [0.004, 0.005]) close(pelzGoodCdf(20000, x), durbinMatrixCdf(20000, x), 1e-9);
  });
  it('tends to Kolmogorov\'s limit: P(D_n >= z / sqrt n) -> K(z)', () => {
    const n = 2_000_000;
    close(kolmogorovSmirnovSf(n, 1.3580986393225507 / Math.sqrt(n)), 0.05, 5e-4);
  });
});
