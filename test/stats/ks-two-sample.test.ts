import { describe, expect, it } from 'vitest';
import { ksExactSf, ksExactSfTies, ksStatistic, ksTwoSample } from '../../src/stats/ks-two-sample.js';
import { createRng } from '../../src/stats/rng.js';
import { toWeightedSample } from '../../src/stats/weighted-sample.js';

const close = (a: number, b: number, abs: number, rel = 0) =>
  expect(Math.abs(a - b)).toBeLessThanOrEqual(Math.max(abs, rel * Math.abs(b)));

/** Exact null law by brute force: every placement of the m x's among the m + n pooled ranks is equally likely. */
function bruteForceSf(d: number, m: number, n: number): number {
  let total = 0, hits = 0;
  const rec = (pos: number, xs: number, path: boolean[]) => {
    if (pos === m + n) {
      total++;
      let i = 0, j = 0, dmax = 0;
      for (const isX of path) {
        if (isX) i++;
        else j++;
        dmax = Math.max(dmax, Math.abs(i / m - j / n));
      }
      if (dmax >= d - 1e-12) hits++;
      return;
    }
    if (xs < m) rec(pos + 1, xs + 1, [...path, true]);
    if (pos - xs < n) rec(pos + 1, xs, [...path, false]);
  };
  rec(0, 0, []);
  return hits / total;
}

const X = [0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47];
const Y = [2.2, 1.66, 1.38, 0.2, 0.36, 0.0, 0.96, 1.56, 0.44, 1.5, -0.3, 0.66, 2.31, 3.29, -0.27, -0.37, 0.38, 0.7, 0.52, -0.72];

describe('ksExactSf', () => {
  it('equals the brute-force permutation distribution for small m, n (equal and unequal sizes)', () => {
    // Observed statistics lie on the lattice h / lcm(m, n); those are the points to check.
    const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
    for (const [m, n] of [[3, 5], [4, 4], [5, 7], [6, 6], [4, 6], [7, 7]] as const)
      for (let h = 1, lcm = (m * n) / gcd(m, n); h <= lcm; h++) {
        const d = h / lcm;
        close(ksExactSf(d, m, n), bruteForceSf(d, m, n), 1e-13);
      }
  });
  it('has the Gnedenko-Korolyuk closed forms for m = n: P(D = 1) = 2 / C(2n, n)', () => {
    close(ksExactSf(1, 5, 5), 2 / 252, 1e-16);
    close(ksExactSf(0.8, 5, 5), (2 * 10) / 252, 1e-15); // 2 C(10, 1) / C(10, 5)
    expect(ksExactSf(0, 5, 5)).toBe(1);
  });
  it('gives the m = n = 10 levels of Massey (1952): P(D >= 0.7) = 0.0123, P(D >= 0.6) = 0.0524', () => {
    // Massey, "Distribution table for the deviation between two sample cumulatives", Ann. Math. Statist. 23 (1952),
    // to 4 places; the full digits are scipy 1.10.1 ks_2samp outputs (exact method) for samples with those D.
    close(ksExactSf(0.7, 10, 10), 0.012340600575894691, 1e-14);
    close(ksExactSf(0.6, 10, 10), 0.05244755244755244, 1e-14);
  });
});

describe('ksStatistic and ksTwoSample', () => {
  it('matches scipy 1.10.1 ks_2samp on a fixed pair of samples (exact and asymptotic)', () => {
    const x = toWeightedSample(X), y = toWeightedSample(Y);
    const s = ksStatistic(x, y);
    close(s.statistic, 0.23, 1e-15);
    expect(s.location).toBe(-0.4);
    expect(s.sign).toBe(1);
    const exact = ksTwoSample(x, y);
    expect(exact.method).toBe('exact');
    close(exact.pValue, 0.5286364448145011, 0, 1e-12);
    const asymp = ksTwoSample(x, y, 'asymp');
    close(asymp.pValue, 0.5318713439638902, 0, 1e-12);
  });
  it('matches scipy 1.10.1 with heavy ties (counts per distinct value)', () => {
    const a = Array.from({ length: 300 }, (_, i) => i % 7);
    const b = Array.from({ length: 400 }, (_, i) => (i * 3) % 8);
    const r = ksTwoSample(toWeightedSample(a), toWeightedSample(b));
    close(r.statistic, 0.125, 1e-15);
    close(r.pValue, 0.008706209265474638, 0, 1e-10);
  });
  it('switches to the asymptotic law above 10000 as scipy does, with the same p-value', () => {
    const a = Array.from({ length: 12000 }, (_, i) => i / 12000);
    const b = Array.from({ length: 15000 }, (_, i) => (i / 15000) ** 1.05);
    const r = ksTwoSample(toWeightedSample(a), toWeightedSample(b));
    expect(r.method).toBe('asymp');
    close(r.statistic, 0.018000000000000016, 1e-15);
    close(r.pValue, 0.02627232497003562, 0, 1e-8);
  });
  it('holds its level: over 2000 null draws the rejection rate at 5% is at most 5% (+ Monte-Carlo error)', () => {
    const rng = createRng(7);
    let rejections = 0;
    const reps = 2000;
    for (let r = 0; r < reps; r++) {
      const a = Array.from({ length: 20 }, () => rng.normal());
      const b = Array.from({ length: 30 }, () => rng.normal());
      if (ksTwoSample(toWeightedSample(a), toWeightedSample(b)).pValue < 0.05) rejections++;
    }
    // The exact test's size is at most 5% (the statistic is discrete); 3 binomial SEs of slack above, and the test
    // must not be far too conservative either.
    const rate = rejections / reps;
    expect(rate).toBeLessThanOrEqual(0.05 + 3 * Math.sqrt((0.05 * 0.95) / reps));
    expect(rate).toBeGreaterThan(0.025);
  });
  it('rejects bad samples', () => {
    expect(() => ksStatistic({ values: Float64Array.of(2, 1), counts: Float64Array.of(1, 1) }, toWeightedSample([1]))).toThrow(/increasing/);
    expect(() => ksExactSf(0.5, 0, 3)).toThrow(RangeError);
  });
});

describe('ksExactSfTies', () => {
  /** Brute force: every split of the pooled multiset into groups of m and n, D computed with the ties. */
  function permutationSf(x: number[], y: number[]): number {
    const pooled = [...x, ...y];
    const m = x.length, N = pooled.length;
    const dObs = ksStatistic(toWeightedSample(x), toWeightedSample(y)).statistic;
    let total = 0, hits = 0;
    const pick = (start: number, chosen: number[]) => {
      if (chosen.length === m) {
        const a = chosen.map((k) => pooled[k]!);
        const b = pooled.filter((_, k) => !chosen.includes(k));
        total++;
        if (ksStatistic(toWeightedSample(a), toWeightedSample(b)).statistic >= dObs - 1e-12) hits++;
        return;
      }
      for (let k = start; k <= N - (m - chosen.length); k++) pick(k + 1, [...chosen, k]);
    };
    pick(0, []);
    return hits / total;
  }
  it('equals the brute-force permutation p-value of tied samples', () => {
    const cases: Array<[number[], number[]]> = [
      [[1, 1, 2, 3, 3, 3], [2, 2, 3, 4, 4]],
      [[0, 0, 0, 1, 1], [1, 1, 2, 2, 2, 2, 0]],
      [[5, 5, 5, 5], [5, 6, 6, 7, 7, 7]],
      [[1, 2, 2, 2, 3, 4, 4], [2, 3, 3, 4, 5, 5, 5]],
    ];
    for (const [x, y] of cases) close(ksExactSfTies(toWeightedSample(x), toWeightedSample(y))!, permutationSf(x, y), 1e-13);
  });
  it('equals ksExactSf without ties, and is never above it with ties', () => {
    const x = toWeightedSample(X), y = toWeightedSample(Y);
    close(ksExactSfTies(x, y)!, 0.5286364448145011, 1e-12);
    const a = toWeightedSample(Array.from({ length: 30 }, (_, i) => i % 4));
    const b = toWeightedSample(Array.from({ length: 40 }, (_, i) => (i * 3) % 5));
    expect(ksExactSfTies(a, b)!).toBeLessThanOrEqual(ksTwoSample(a, b).pValue + 1e-15);
  });
  it('declines lattices above its cell budget', () => {
    expect(ksExactSfTies(toWeightedSample([1, 2, 3]), toWeightedSample([1, 2]), 5)).toBeNull();
  });
});
