import { describe, expect, it } from 'vitest';
import { binCounts, psi, quantileBinEdges } from '../../src/stats/psi.js';
import { toWeightedSample } from '../../src/stats/weighted-sample.js';

const close = (a: number, b: number, abs: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(abs);

describe('psi', () => {
  it('is 0 for equal shares and the symmetrised KL divergence otherwise', () => {
    expect(psi([10, 20, 30], [1, 2, 3])).toBe(0);
    // shares (0.5, 0.5) vs (0.25, 0.75): (0.25-0.5) ln(0.5) + (0.75-0.5) ln(1.5) = 0.25 ln 3
    close(psi([1, 1], [1, 3]), 0.25 * Math.log(3), 1e-15);
  });
  it('replaces an empty share by epsilon (1e-4 as Evidently) instead of giving infinity', () => {
    const expected = (0.5 - 1e-4) * Math.log(0.5 / 1e-4) + (1 - 0.5) * Math.log(1 / 0.5);
    close(psi([1, 1], [0, 1]), expected, 1e-14);
    expect(() => psi([0, 0], [1, 1])).toThrow(/sums to 0/);
  });
});

describe('quantileBinEdges and binCounts', () => {
  it('gives numpy.quantile (linear) deciles: 0..99 -> 9.9, 19.8, ..., 89.1', () => {
    const edges = quantileBinEdges(toWeightedSample(Array.from({ length: 100 }, (_, i) => i)), 10);
    expect(edges.length).toBe(9);
    for (let k = 1; k <= 9; k++) close(edges[k - 1]!, 9.9 * k, 1e-12);
  });
  it('drops repeated edges of tied data and counts values equal to an edge in the lower bin', () => {
    const s = toWeightedSample([1, 1, 1, 1, 1, 1, 2, 3, 4, 5]);
    const edges = quantileBinEdges(s, 4); 
    expect(Array.from(edges)).toEqual([1, 2.75]); // numpy.quantile(x, [.25, .5, .75]) = [1, 1, 2.75]
    expect(Array.from(binCounts(s, edges))).toEqual([6, 1, 3]);
  });
});
