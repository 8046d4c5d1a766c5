import { describe, expect, it } from 'vitest';
import { logRegularizedIncompleteBeta, regularizedIncompleteBeta } from '../../src/stats/incomplete-beta.js';

const relClose = (a: number, b: number, tol: number): void => {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(Math.abs(b), Number.MIN_VALUE));
};

describe('regularizedIncompleteBeta', () => {
  const xs = [1e-8, 0.001, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999];

  it('matches closed forms: I_x(a,1) = x^a, I_x(1,b) = 1-(1-x)^b, I_x(2,2) = 3x^2 - 2x^3', () => {
    for (const x of xs) {
      for (const a of [0.5, 1, 2.5, 7]) relClose(regularizedIncompleteBeta(x, a, 1), x ** a, 1e-13);
      for (const b of [0.5, 3, 12]) relClose(regularizedIncompleteBeta(x, 1, b), -Math.expm1(b * Math.log1p(-x)), 1e-13);
      relClose(regularizedIncompleteBeta(x, 2, 2), 3 * x * x - 2 * x * x * x, 1e-13);
    }
  });

  it('matches the arcsine law I_x(1/2, 1/2) = (2/pi) asin(sqrt x)', () => {
    for (const x of xs) relClose(regularizedIncompleteBeta(x, 0.5, 0.5), (2 / Math.PI) * Math.asin(Math.sqrt(x)), 1e-13);
  });

  it('matches the binomial tail: I_p(k, n-k+1) = P(Bin(n, p) >= k)', () => {
    const n = 30;
    for (const p of [0.05, 0.3, 0.5, 0.8]) {
      const pmf: number[] = [(1 - p) ** n];
      for (let j = 0; j < n; j++) pmf.push((pmf[j]! * (n - j) * p) / ((j + 1) * (1 - p)));
      for (const k of [1, 5, 15, 25, 30]) {
        let tail = 0;
        for (let j = k; j <= n; j++) tail += pmf[j]!;
        relClose(regularizedIncompleteBeta(p, k, n - k + 1), tail, 1e-12);
      }
    }
  });

  it('satisfies I_x(a, b) = 1 - I_{1-x}(b, a) and handles the end points', () => {
    // Absolute check: the complement loses relative precision when I is tiny.
    for (const x of xs) {
      const sum = regularizedIncompleteBeta(x, 3.3, 0.7) + regularizedIncompleteBeta(1 - x, 0.7, 3.3);
      expect(Math.abs(sum - 1)).toBeLessThan(1e-14);
    }
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
  });

  it('keeps tiny values in the log version: ln I_x(a, 1) = a ln x', () => {
    expect(logRegularizedIncompleteBeta(1e-200, 5, 1)).toBeCloseTo(5 * Math.log(1e-200), 10);
  });

  it('rejects invalid arguments', () => {
    expect(() => regularizedIncompleteBeta(1.5, 1, 1)).toThrow(RangeError);
    expect(() => regularizedIncompleteBeta(0.5, 0, 1)).toThrow(/shapes/);
    expect(() => regularizedIncompleteBeta(Number.NaN, 1, 1)).toThrow(RangeError);
  });
});
