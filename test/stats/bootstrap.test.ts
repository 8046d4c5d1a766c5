import { describe, expect, it } from 'vitest';
import { bootstrapIndices, bootstrapReplicates, percentileInterval, quantile } from '../../src/stats/bootstrap.js';
import { createRng } from '../../src/stats/rng.js';

describe('quantile (Hyndman & Fan type 7, numpy default "linear")', () => {
  it('matches numpy.quantile on hand-worked examples', () => {
    // np.quantile([1, 2, 3, 4], 0.25): h = 3 * 0.25 = 0.75 -> 1 + 0.75 * (2 - 1) = 1.75
    expect(quantile([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 15);
    // median of an even sample: h = 1.5 -> 2.5
    expect(quantile([4, 1, 3, 2], 0.5)).toBeCloseTo(2.5, 15);
    // np.quantile([7, 1, 3], 0.5) = 3 (h = 1, an order statistic)
    expect(quantile([7, 1, 3], 0.5)).toBe(3);
    // np.quantile([10, 20, 30, 40, 50], 0.9): h = 3.6 -> 40 + 0.6 * 10 = 46
    expect(quantile([50, 10, 40, 20, 30], 0.9)).toBeCloseTo(46, 13);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
    expect(quantile([5], 0.3)).toBe(5);
  });

  it('uses the input as is when told it is sorted', () => {
    expect(quantile(new Float64Array([1, 2, 3, 4]), 0.25, true)).toBeCloseTo(1.75, 15);
  });

  it('rejects empty or non-finite samples and p outside [0, 1]', () => {
    expect(() => quantile([], 0.5)).toThrow(/empty/);
    expect(() => quantile([1, Number.NaN], 0.5)).toThrow(/samples\[1\]/);
    expect(() => quantile([1, 2], 1.5)).toThrow(RangeError);
  });
});

describe('percentileInterval', () => {
  it('matches numpy.percentile(1..10, [2.5, 97.5]) = [1.225, 9.775]', () => {
    // h = 9 * 0.025 = 0.225 -> 1.225; h = 9 * 0.975 = 8.775 -> 9 + 0.775 = 9.775
    const [lo, hi] = percentileInterval([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(lo).toBeCloseTo(1.225, 14);
    expect(hi).toBeCloseTo(9.775, 14);
    // 90%: h = 0.45 and 8.55 -> 1.45, 9.55
    const [lo90, hi90] = percentileInterval(Float64Array.from({ length: 10 }, (_, i) => i + 1), 0.9, true);
    expect(lo90).toBeCloseTo(1.45, 14);
    expect(hi90).toBeCloseTo(9.55, 14);
  });

  it('rejects a bad confidence', () => {
    expect(() => percentileInterval([1, 2], 1)).toThrow(/confidence/);
  });
});

describe('bootstrapIndices and bootstrapReplicates', () => {
  it('draws n in-range indices, reproducibly for a seed', () => {
    const a = bootstrapIndices(50, createRng(1));
    const b = bootstrapIndices(50, createRng(1));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a.every((i) => i >= 0 && i < 50)).toBe(true);
    expect(Array.from(bootstrapIndices(50, createRng(2)))).not.toEqual(Array.from(a));
  });

  it('draws each index with probability 1/n (Monte-Carlo, seed 4)', () => {
    const n = 10, rng = createRng(4), counts = new Float64Array(n), buf = new Uint32Array(n);
    const reps = 20000;
    for (let r = 0; r < reps; r++) for (const i of bootstrapIndices(n, rng, buf)) counts[i]!++;
    // Each count ~ Binomial(n * reps, 1/n): mean 20000, sd sqrt(200000 * 0.1 * 0.9) = 134; tolerance 4.5 sd.
    for (const c of counts) expect(Math.abs(c - reps)).toBeLessThan(4.5 * Math.sqrt(n * reps * 0.1 * 0.9));
  });

  it('gives the plug-in variance of the mean, sigma_hat^2 / n, as bootstrap variance (Monte-Carlo, seed 6)', () => {
    // Closed form: the ideal bootstrap (B -> infinity) variance of the mean is the plug-in variance over n,
    // sum (x - x_bar)^2 / n^2 (Efron & Tibshirani 1993, An Introduction to the Bootstrap, ch. 6).
    const data = [3.1, 0.2, 5.5, 2.2, 9.0, 4.4, 1.1, 7.7, 6.0, 2.9, 3.3, 8.1, 0.9, 4.0, 5.2];
    const n = data.length;
    const mean = data.reduce((s, v) => s + v, 0) / n;
    const ideal = data.reduce((s, v) => s + (v - mean) ** 2, 0) / n / n;
    const reps = 20000;
    const means = bootstrapReplicates(n, reps, createRng(6), (idx) => {
      let s = 0;
      for (const i of idx) s += data[i]!;
      return s / n;
    });
    let m = 0, m2 = 0;
    for (const v of means) { m += v; m2 += v * v; }
    const variance = m2 / reps - (m / reps) ** 2;
    // Relative standard error of a variance estimate from 20000 near-normal replicates: sqrt(2 / reps) = 1%;
    // tolerance 5% (4 SE plus slack for the bootstrap mean's slight non-normality at n = 15).
    expect(Math.abs(variance / ideal - 1)).toBeLessThan(0.05);
  });

  it('rejects invalid sizes', () => {
    expect(() => bootstrapIndices(0, createRng(1))).toThrow(/n must/);
    expect(() => bootstrapIndices(3, createRng(1), new Uint32Array(2))).toThrow(/length/);
    expect(() => bootstrapReplicates(3, 0, createRng(1), () => 0)).toThrow(/replicates/);
  });
});
