import { describe, expect, it } from 'vitest';
import { jensenShannonDistance, jensenShannonDivergence } from '../../src/stats/jensen-shannon.js';
import { createRng } from '../../src/stats/rng.js';

describe('jensenShannonDivergence', () => {
  it('is 0 for identical distributions, also when given as counts at different scales', () => {
    expect(jensenShannonDivergence([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(jensenShannonDivergence([1, 2, 3], [10, 20, 30])).toBeCloseTo(0, 15);
  });

  it('is ln 2 (1 bit) for disjoint supports', () => {
    expect(jensenShannonDivergence([1, 0, 0], [0, 1, 0])).toBeCloseTo(Math.LN2, 15);
    expect(jensenShannonDivergence([3, 0, 0, 1], [0, 2, 5, 0], { base: 2 })).toBeCloseTo(1, 15);
  });

  it('matches the hand-worked value for P = (1, 0), Q = (1/2, 1/2)', () => {
    // M = (3/4, 1/4). KL(P||M) = ln(4/3). KL(Q||M) = 1/2 ln(2/3) + 1/2 ln 2 = 1/2 ln(4/3).
    // JSD = 1/2 ln(4/3) + 1/4 ln(4/3) = 3/4 ln(4/3).
    expect(jensenShannonDivergence([1, 0], [0.5, 0.5])).toBeCloseTo(0.75 * Math.log(4 / 3), 15);
    expect(jensenShannonDivergence([1, 0], [0.5, 0.5], { base: 2 })).toBeCloseTo(0.75 * Math.log2(4 / 3), 15);
  });

  it('is symmetric and bounded by ln 2 on random vectors (seed 3)', () => {
    const rng = createRng(3);
    for (let t = 0; t < 30; t++) {
      const n = 2 + rng.int(20);
      const p = Array.from({ length: n }, () => rng.int(5));
      const q = Array.from({ length: n }, () => rng.int(5));
      p[0] = p[0]! + 1;
      q[1] = q[1]! + 1;
      const d = jensenShannonDivergence(p, q);
      expect(d).toBeCloseTo(jensenShannonDivergence(q, p), 15);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(Math.LN2);
    }
  });

  it('rejects mismatched lengths, negative entries, empty mass and bad bases', () => {
    expect(() => jensenShannonDivergence([1, 2], [1, 2, 3])).toThrow(/same length/);
    expect(() => jensenShannonDivergence([1, -2], [1, 2])).toThrow(RangeError);
    expect(() => jensenShannonDivergence([0, 0], [1, 2])).toThrow(/p sums to 0/);
    expect(() => jensenShannonDivergence([1, 2], [1, Number.NaN])).toThrow(/q\[1\]/);
    expect(() => jensenShannonDivergence([1, 2], [1, 2], { base: 1 })).toThrow(/base/);
  });
});

describe('jensenShannonDistance', () => {
  it('reproduces the examples of scipy.spatial.distance.jensenshannon documentation', () => {
    // jensenshannon([1, 0, 0], [0, 1, 0], 2.0) == 1.0
    expect(jensenShannonDistance([1, 0, 0], [0, 1, 0], { base: 2 })).toBeCloseTo(1, 15);
    // jensenshannon([1.0, 0.0], [0.5, 0.5]) == 0.46450140402245893 = sqrt(3/4 ln(4/3))
    expect(jensenShannonDistance([1, 0], [0.5, 0.5])).toBeCloseTo(0.46450140402245893, 15);
    expect(jensenShannonDistance([1, 0], [0.5, 0.5])).toBeCloseTo(Math.sqrt(0.75 * Math.log(4 / 3)), 15);
    // jensenshannon([1, 0, 0], [1, 0, 0]) == 0
    expect(jensenShannonDistance([1, 0, 0], [1, 0, 0])).toBe(0);
  });

  it('satisfies the triangle inequality on random distributions (Endres & Schindelin 2003), seed 9', () => {
    const rng = createRng(9);
    for (let t = 0; t < 200; t++) {
      const draw = (): number[] => Array.from({ length: 4 }, () => rng.next() + 1e-9);
      const [a, b, c] = [draw(), draw(), draw()];
      const ab = jensenShannonDistance(a, b), bc = jensenShannonDistance(b, c), ac = jensenShannonDistance(a, c);
      expect(ac).toBeLessThanOrEqual(ab + bc + 1e-12);
    }
  });
});
