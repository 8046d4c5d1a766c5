import jstatModule from 'jstat';
import { describe, expect, it } from 'vitest';
import {
  bootstrapEstimates,
  bootstrapRoundTerms,
  dm,
  dr,
  ipw,
  resampleColumnSums,
  snipw,
  standardEstimators,
} from '../../../src/analyses/ope/index.js';
import { kBinomial, kLogFactorial } from '../../../src/analyses/ope/internal/resample-kernel.js';
import { createRng } from '../../../src/stats/rng.js';
import { drawBandit, makeWorld } from './synthetic.js';

const { jStat: jstat } = jstatModule;

/** Identity columns: column j is the indicator of round j, so the resampled sums are the resample counts. */
function identity(n: number): Float64Array[] {
  return Array.from({ length: n }, (_, j) => {
    const c = new Float64Array(n);
    c[j] = 1;
    return c;
  });
}

describe('resampleColumnSums draws exact multinomial resamples', () => {
  // Tiny blocks (2^2 = 4 rounds) so that block totals, partial blocks and every panel width are exercised.
  it.each([
    [7, 2], // blocks 4 + 3 (partial), panels 4 + 3
    [9, 2], // blocks 4 + 4 + 1, panels 4 + 4 + 1
    [10, 1], // blocks of 2, panels 4 + 4 + 2
    [6, 11], // one partial block
  ])('n = %i with 2^%i-round blocks: counts sum to n, mean 1, variance 1 - 1/n, covariance -1/n', (n, bits) => {
    const R = 10_000;
    const sums = resampleColumnSums(identity(n), R, 17, { blockBits: bits });
    const mean = new Float64Array(n);
    const sq = new Float64Array(n);
    let cross = 0; // first and last round (different blocks)
    let zeros = 0;
    let badTotals = 0;
    let nonIntegers = 0;
    for (let r = 0; r < R; r++) {
      let total = 0;
      for (let j = 0; j < n; j++) {
        const c = sums[r * n + j]!;
        if (!Number.isInteger(c)) nonIntegers++;
        total += c;
        mean[j] = mean[j]! + c;
        sq[j] = sq[j]! + c * c;
        if (j === 0 && c === 0) zeros++;
      }
      if (total !== n) badTotals++;
      cross += sums[r * n]! * sums[r * n + n - 1]!;
    }
    expect(nonIntegers).toBe(0);
    expect(badTotals).toBe(0);
    // Multinomial(n; 1/n, ...): E c = 1, Var c = 1 - 1/n, Cov = -1/n, P(c = 0) = (1 - 1/n)^n. Tolerances are 5 Monte
    // Carlo standard errors (Var(c) <= 1, Var(c^2) <= 15 and Var(c_0 c_last) <= 4 for these n).
    for (let j = 0; j < n; j++) {
      const m = mean[j]! / R;
      expect(Math.abs(m - 1)).toBeLessThan(5 * Math.sqrt(1 / R));
      const v = sq[j]! / R - m * m;
      expect(Math.abs(v - (1 - 1 / n))).toBeLessThan(5 * Math.sqrt(15 / R));
    }
    expect(Math.abs(cross / R - (1 - 1 / n))).toBeLessThan(5 * Math.sqrt(4 / R)); // E[c0 c1] = Cov + 1
    const p0 = (1 - 1 / n) ** n;
    expect(Math.abs(zeros / R - p0)).toBeLessThan(5 * Math.sqrt((p0 * (1 - p0)) / R));
  });

  it('gives every column the same counts and is reproducible for a seed', () => {
    const n = 5000;
    const a = new Float64Array(n).map((_, i) => i % 7);
    const b = new Float64Array(n).map((_, i) => 2 * (i % 7) + 1);
    const s1 = resampleColumnSums([a, b], 50, 3);
    const s2 = resampleColumnSums([a, b], 50, 3);
    expect(Array.from(s1)).toEqual(Array.from(s2));
    for (let r = 0; r < 50; r++) expect(s1[r * 2 + 1]).toBeCloseTo(2 * s1[r * 2]! + n, 6); // sum(2a + 1) = 2 sum a + n
    expect(Array.from(resampleColumnSums([a, b], 50, 4))).not.toEqual(Array.from(s1));
  });

  it('gives identical sums on 1 thread and on worker threads (shipped kernel), J <= 8 and J > 8', () => {
    const n = 30_000;
    for (const J of [3, 10]) {
      const cols = Array.from({ length: J }, (_, j) => new Float64Array(n).map((_, i) => Math.sin(i * (j + 1))));
      const one = resampleColumnSums(cols, 200, 9, { threads: 1 });
      const report = { threads: 0, workerFailures: -1 };
      const three = resampleColumnSums(cols, 200, 9, { threads: 3, report });
      expect(report).toEqual({ threads: 3, workerFailures: 0, wasm: true }); // the workers really ran the shipped kernel
      expect(Array.from(three)).toEqual(Array.from(one));
    }
  });

  it('rejects bad arguments', () => {
    expect(() => resampleColumnSums([], 10, 1)).toThrow(/no columns/);
    expect(() => resampleColumnSums([new Float64Array(3), new Float64Array(4)], 10, 1)).toThrow(/column 1 has length 4/);
    expect(() => resampleColumnSums([new Float64Array(3)], 10, 1, { blockBits: 17 })).toThrow(/blockBits/);
    expect(() => resampleColumnSums([new Float64Array(3)], 10, 1, { threads: 0 })).toThrow(/threads/);
  });
});

describe('kBinomial (block totals)', () => {
  it('matches the Binomial(20, 0.3) pmf (chi-square over 200k draws)', () => {
    const st = Int32Array.from([1, 2, 3, 4]);
    const N = 20;
    const p = 0.3;
    const draws = 200_000;
    const counts = new Array<number>(N + 1).fill(0);
    for (let k = 0; k < draws; k++) counts[kBinomial(N, p, st, 0)]!++;
    let chi2 = 0;
    let cells = 0;
    for (let x = 0; x <= N; x++) {
      const pmf = Math.exp(kLogFactorial(N) - kLogFactorial(x) - kLogFactorial(N - x) + x * Math.log(p) + (N - x) * Math.log(1 - p));
      const expected = draws * pmf;
      if (expected < 5) continue;
      chi2 += (counts[x]! - expected) ** 2 / expected;
      cells++;
    }
    // 13 usable cells -> 12 degrees of freedom; the 0.999 quantile of chi-square(12) is 32.9.
    expect(cells).toBeGreaterThan(10);
    expect(chi2).toBeLessThan(32.9);
  });

  // The BTRS regime (N min(p, 1 - p) >= 10), p above 1/2 by symmetry, at its boundary and at the block totals' sizes.
  it.each([
    [50, 0.2],
    [1000, 0.5],
    [200, 0.93],
    [1_000_000, 1 / 977],
    [1_000_000_000, 2e-6],
  ])('matches the Binomial(%d, %d) pmf (chi-square over 200k draws, BTRS)', (N, p) => {
    const st = Int32Array.from([9, 10, 11, 12]);
    const draws = 200_000;
    const counts = new Map<number, number>();
    let outside = 0;
    for (let k = 0; k < draws; k++) {
      const x = kBinomial(N, p, st, 0);
      if (!(Number.isInteger(x) && x >= 0 && x <= N)) outside++;
      counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    expect(outside).toBe(0);
    // cells: every x with expected count >= 5, and the two tails beyond them pooled
    const pmf = (x: number) => Math.exp(kLogFactorial(N) - kLogFactorial(x) - kLogFactorial(N - x) + x * Math.log(p) + (N - x) * Math.log1p(-p));
    const mode = Math.floor((N + 1) * p);
    let lo = mode, hi = mode;
    while (lo > 0 && draws * pmf(lo - 1) >= 5) lo--;
    while (hi < N && draws * pmf(hi + 1) >= 5) hi++;
    let chi2 = 0, inside = 0, seenInside = 0;
    for (let x = lo; x <= hi; x++) {
      const e = draws * pmf(x);
      inside += e;
      seenInside += counts.get(x) ?? 0;
      chi2 += ((counts.get(x) ?? 0) - e) ** 2 / e;
    }
    const tails = draws - inside, seenTails = draws - seenInside;
    chi2 += (seenTails - tails) ** 2 / tails;
    const df = hi - lo + 1; // cells (inside + tails) minus one
    expect(df).toBeGreaterThan(10);
    expect(chi2).toBeLessThan(jstat.chisquare.inv(0.999, df));
  });

  it('has mean N p and variance N p (1 - p) for N = 1e6, p = 1/500; edge cases', () => {
    const st = Int32Array.from([5, 6, 7, 8]);
    const N = 1_000_000;
    const p = 1 / 500;
    const m = 4000;
    let s = 0;
    let s2 = 0;
    for (let k = 0; k < m; k++) {
      const x = kBinomial(N, p, st, 0);
      s += x;
      s2 += x * x;
    }
    const mean = s / m;
    const variance = s2 / m - mean * mean;
    const v = N * p * (1 - p);
    expect(Math.abs(mean - N * p)).toBeLessThan(5 * Math.sqrt(v / m));
    expect(Math.abs(variance / v - 1)).toBeLessThan(5 * Math.sqrt(2 / m));
    expect(kBinomial(0, 0.5, st, 0)).toBe(0);
    expect(kBinomial(10, 0, st, 0)).toBe(0);
    expect(kBinomial(10, 1, st, 0)).toBe(10);
  });

  it('kLogFactorial is exact below 256 and continuous across the Stirling switch', () => {
    expect(kLogFactorial(10)).toBeCloseTo(Math.log(3628800), 12);
    let direct = 0;
    for (let k = 1; k <= 300; k++) direct += Math.log(k);
    expect(kLogFactorial(300)).toBeCloseTo(direct, 9);
  });
});

describe('bootstrapEstimates', () => {
  const world = makeWorld(2024, { nActions: 4, dim: 2, nContexts: 50 });
  const draw = drawBandit(world, 20_000, createRng(77));

  it('percentile intervals agree with the normal ones and bootstrap se with the influence se on a large sample', () => {
    const ests = standardEstimators({ tau: 2, lambda: 4 });
    const boot = bootstrapEstimates(ests, draw.data, draw.target, draw.q, { n: 400, seed: 1 });
    expect(boot.nResamples).toBe(400);
    expect(boot.estimates.map((e) => e.name)).toEqual(ests.map((e) => e.name));
    for (const [k, e] of ests.entries()) {
      const normal = e.estimate(draw.data, draw.target, draw.q);
      const b = boot.estimates[k]!;
      expect(b.value).toBe(normal.value);
      expect(b.failedResamples).toBe(0);
      // se of a bootstrap sd from 400 resamples: about 1/sqrt(2 * 400) = 3.5% relative; allow 15%.
      expect(Math.abs(b.se / normal.se - 1)).toBeLessThan(0.15);
      // A 2.5% quantile from 400 resamples has a standard error of about 0.13 se; allow 0.5 se.
      expect(Math.abs(b.ci[0] - normal.ci[0])).toBeLessThan(0.5 * normal.se);
      expect(Math.abs(b.ci[1] - normal.ci[1])).toBeLessThan(0.5 * normal.se);
    }
  });

  it('is reproducible for a seed and the intervals move with the seed', () => {
    const a = bootstrapEstimates([ipw(), snipw()], draw.data, draw.target, undefined, { n: 100, seed: 5 });
    const b = bootstrapEstimates([ipw(), snipw()], draw.data, draw.target, undefined, { n: 100, seed: 5 });
    const c = bootstrapEstimates([ipw(), snipw()], draw.data, draw.target, undefined, { n: 100, seed: 6 });
    expect(a).toEqual(b);
    expect(c.estimates[0]!.ci).not.toEqual(a.estimates[0]!.ci);
  });

  it('renormalises self-normalised estimators on every resample (replicates are ratios of resampled sums)', () => {
    // Tiny data where we can enumerate: snipw replicate = sum* w r / sum* w must lie within [min r, max r] = [0, 1]
    // whatever the resample; a fixed full-sample normaliser would not keep it there.
    const data = {
      n: 3,
      nActions: 2,
      action: Int32Array.from([0, 1, 0]),
      reward: Float64Array.from([1, 1, 0]),
      pscore: Float64Array.from([0.5, 0.5, 0.5]),
    };
    const target = { probs: Float64Array.from([0.9, 0.1, 0.9, 0.1, 0.9, 0.1]) };
    const boot = bootstrapEstimates([snipw(), ipw()], data, target, undefined, { n: 2000, seed: 2, keepReplicates: true });
    const reps = boot.estimates[0]!.replicates!;
    const w = [1.8, 0.2, 1.8];
    const possible = new Set<string>();
    // All multisets of 3 rounds: value = sum c_i w_i r_i / sum c_i w_i.
    for (let c0 = 0; c0 <= 3; c0++) {
      for (let c1 = 0; c1 <= 3 - c0; c1++) {
        const c2 = 3 - c0 - c1;
        const num = c0 * w[0]! + c1 * w[1]!;
        const den = c0 * w[0]! + c1 * w[1]! + c2 * w[2]!;
        possible.add((num / den).toFixed(10));
      }
    }
    for (const v of reps) expect(possible.has(v.toFixed(10))).toBe(true);
    // ipw replicate = sum c_i w_i r_i / 3, including the all-round-2 resample (value 0): P = 1/27.
    const ipwReps = boot.estimates[1]!.replicates!;
    const zeros = ipwReps.filter((v) => v === 0).length;
    expect(Math.abs(zeros / 2000 - 1 / 27)).toBeLessThan(5 * Math.sqrt((1 / 27) * (26 / 27) / 2000));
  });

  it('reports resamples where a self-normalised estimator is undefined and leaves them out', () => {
    // Only round 0 has a non-zero weight; resamples without it make snipw 0/0.
    const data = {
      n: 4,
      nActions: 2,
      action: Int32Array.from([0, 1, 1, 1]),
      reward: Float64Array.from([1, 0, 1, 0]),
      pscore: Float64Array.from([0.5, 0.5, 0.5, 0.5]),
    };
    const target = { probs: Float64Array.from([1, 0, 1, 0, 1, 0, 1, 0]) };
    const boot = bootstrapEstimates([snipw()], data, target, undefined, { n: 4000, seed: 3 });
    const p = (3 / 4) ** 4; // P(round 0 not drawn)
    const failed = boot.estimates[0]!.failedResamples;
    expect(Math.abs(failed / 4000 - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / 4000));
    expect(boot.estimates[0]!.ci).toEqual([1, 1]);
  });

  it('accepts precomputed round terms and checks names and options', () => {
    const t = ipw().roundTerms(draw.data, draw.target);
    const res = bootstrapRoundTerms([{ name: 'mine', terms: t }], { n: 20, seed: 1, confidence: 0.8 });
    expect(res.estimates[0]!.name).toBe('mine');
    expect(res.confidence).toBe(0.8);
    expect(() => bootstrapEstimates([ipw(), ipw()], draw.data, draw.target)).toThrow(/"ipw" appears twice/);
    expect(() => bootstrapEstimates([dm()], draw.data, draw.target)).toThrow(/dm: needs a reward model/);
    expect(() => bootstrapEstimates([dr()], draw.data, draw.target, draw.q, { n: 0 })).toThrow(/n \(resamples\)/);
    expect(() => bootstrapEstimates([dr()], draw.data, draw.target, draw.q, { confidence: 2 })).toThrow(/confidence/);
    expect(() => bootstrapEstimates([], draw.data, draw.target)).toThrow(/no estimators/);
  });
});
