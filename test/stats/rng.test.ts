import { describe, expect, it } from 'vitest';
import { createRng, xoshiro128ss } from '../../src/stats/rng.js';

describe('xoshiro128ss', () => {
  it('gives the outputs of the published C next() from the state 1, 2, 3, 4', () => {
    // Blackman & Vigna's xoshiro128** next() (prng.di.unimi.it/xoshiro128starstar.c) in C, compiled with gcc -O2 and
    // run from s = {1, 2, 3, 4}.
    const next = xoshiro128ss(Int32Array.from([1, 2, 3, 4]));
    expect(Array.from({ length: 6 }, next)).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });
});

describe('createRng', () => {
  it('is reproducible for a seed and differs across seeds', () => {
    const a = createRng(42), b = createRng(42), c = createRng(43);
    const xa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xa);
  });

  it('gives uniform deviates with mean 1/2 and variance 1/12 (Monte-Carlo, 5 standard errors)', () => {
    const rng = createRng(7);
    const n = 200_000;
    let s = 0, s2 = 0;
    for (let i = 0; i < n; i++) { const u = rng.next(); s += u; s2 += u * u; }
    const mean = s / n, variance = s2 / n - mean * mean;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    // Var of U^2 is 4/45; the sample variance's standard error is about sqrt(1/180/n).
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / n));
  });

  it('gives standard normal deviates (mean 0, variance 1, P(|Z|<1.96) = 0.95)', () => {
    const rng = createRng(11);
    const n = 200_000;
    let s = 0, s2 = 0, inside = 0;
    for (let i = 0; i < n; i++) { const z = rng.normal(); s += z; s2 += z * z; if (Math.abs(z) < 1.959963985) inside++; }
    expect(Math.abs(s / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(inside / n - 0.95)).toBeLessThan(5 * Math.sqrt(0.95 * 0.05 / n));
  });
});
