import { describe, expect, it } from 'vitest';
import { entropy, entropyNorm } from '../../src/stats/entropy.js';

describe('entropy', () => {
  it('is ln K for a uniform distribution over K items and 0 for a point mass', () => {
    expect(entropy([4, 4, 4, 4])).toBeCloseTo(Math.log(4), 15);
    expect(entropy(new Float64Array(1000).fill(0.001))).toBeCloseTo(Math.log(1000), 12);
    expect(entropy([0, 9, 0])).toBe(0);
  });

  it('matches the closed form for [1, 1, 2]: 2 (1/4) ln 4 + (1/2) ln 2 = 1.5 ln 2 nats', () => {
    expect(entropy([1, 1, 2])).toBeCloseTo(1.5 * Math.LN2, 15);
    expect(entropy([1, 1, 2])).toBeCloseTo(1.0397207708399179, 15);
  });

  it('matches the binary entropy for two items: -p ln p - (1-p) ln(1-p)', () => {
    // p = 1/5: -(0.2 ln 0.2 + 0.8 ln 0.8) = 0.2 * 1.6094379 + 0.8 * 0.2231436 = 0.5004024 nats.
    expect(entropy([1, 4])).toBeCloseTo(-(0.2 * Math.log(0.2) + 0.8 * Math.log(0.8)), 15);
    expect(entropy([1, 4])).toBeCloseTo(0.5004024, 7);
  });

  it('ignores zero counts and is scale invariant', () => {
    expect(entropy([1, 0, 1, 0, 2])).toBeCloseTo(entropy([1, 1, 2]), 15);
    expect(entropy([3, 3, 6])).toBeCloseTo(entropy([1, 1, 2]), 15);
  });

  it('is NaN for an all-zero vector and rejects negative or NaN counts', () => {
    expect(entropy([0, 0])).toBeNaN();
    expect(entropy([])).toBeNaN();
    expect(() => entropy([1, -1])).toThrow(RangeError);
    expect(() => entropy([Number.NaN])).toThrow(/counts\[0\]/);
  });
});

describe('entropyNorm', () => {
  it('is 1 for uniform exposure over the whole catalog and 0 for a point mass', () => {
    expect(entropyNorm([2, 2, 2], 3)).toBeCloseTo(1, 15);
    expect(entropyNorm([5], 100)).toBe(0);
  });

  it('counts unexposed catalog items: uniform over 2 of 4 items gives ln 2 / ln 4 = 1/2', () => {
    expect(entropyNorm([1, 1], 4)).toBeCloseTo(0.5, 15);
    expect(entropyNorm([1, 1, 2], 3)).toBeCloseTo((1.5 * Math.LN2) / Math.log(3), 15);
  });

  it('is defined as 1 for a one-item catalog (documented convention) and NaN without exposure', () => {
    expect(entropyNorm([3], 1)).toBe(1);
    expect(entropyNorm([0, 0], 2)).toBeNaN();
  });

  it('rejects a catalog smaller than the counts or not a positive integer', () => {
    expect(() => entropyNorm([1, 2, 3], 2)).toThrow(/catalogSize/);
    expect(() => entropyNorm([1], 0)).toThrow(RangeError);
    expect(() => entropyNorm([1], 2.5)).toThrow(RangeError);
  });
});
