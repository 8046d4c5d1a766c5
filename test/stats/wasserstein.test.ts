import { describe, expect, it } from 'vitest';
import { wasserstein1 } from '../../src/stats/wasserstein.js';
import { toWeightedSample } from '../../src/stats/weighted-sample.js';

const close = (a: number, b: number, abs: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(abs);
const ws = toWeightedSample;

describe('wasserstein1', () => {
  it('has closed forms: point masses |a - b|, a shift by c gives c, and it is symmetric', () => {
    close(wasserstein1(ws([3]), ws([7.5])), 4.5, 1e-15);
    const x = [0.3, 1.2, 2.2, 5, 5, 9];
    close(wasserstein1(ws(x), ws(x.map((v) => v + 1.75))), 1.75, 1e-14);
    close(wasserstein1(ws(x), ws([1, 2, 3])), wasserstein1(ws([1, 2, 3]), ws(x)), 1e-15);
    expect(wasserstein1(ws(x), ws(x))).toBe(0);
  });
  it('equals the mean absolute difference of sorted samples of equal size', () => {
    const a = [5, 1, 4, 4, 9, 0.5], b = [2, 8, 3, 3, 7, 10];
    const sa = [...a].sort((p, q) => p - q), sb = [...b].sort((p, q) => p - q);
    close(wasserstein1(ws(a), ws(b)), sa.reduce((s, v, i) => s + Math.abs(v - sb[i]!), 0) / a.length, 1e-14);
  });
  it('matches scipy 1.10.1 wasserstein_distance', () => {
    const X = [0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47];
    const Y = [2.2, 1.66, 1.38, 0.2, 0.36, 0.0, 0.96, 1.56, 0.44, 1.5, -0.3, 0.66, 2.31, 3.29, -0.27, -0.37, 0.38, 0.7, 0.52, -0.72];
    close(wasserstein1(ws(X), ws(Y)), 0.6066, 1e-14);
    const a = Array.from({ length: 300 }, (_, i) => i % 7);
    const b = Array.from({ length: 400 }, (_, i) => (i * 3) % 8);
    close(wasserstein1(ws(a), ws(b)), 0.51, 1e-14);
  });
});
