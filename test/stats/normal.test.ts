import { describe, expect, it } from 'vitest';
import {
  normalCdf,
  normalPdf,
  normalQuantile,
  studentTCdf,
  studentTPdf,
  studentTQuantile,
} from '../../src/stats/normal.js';

const relClose = (a: number, b: number, tol: number): void => {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.abs(b));
};

/** Phi(x) = 1/2 + integral_0^x phi, by composite Simpson with 4000 panels (error < 1e-15 for |x| <= 4). */
function phiBySimpson(x: number): number {
  const m = 4000;
  const h = x / m;
  let s = normalPdf(0) + normalPdf(x);
  for (let i = 1; i < m; i++) s += (i % 2 === 1 ? 4 : 2) * normalPdf(i * h);
  return 0.5 + (s * h) / 3;
}

describe('normalQuantile', () => {
  it('reproduces published quantiles', () => {
    relClose(normalQuantile(0.975), 1.959963984540054, 1e-15);
    relClose(normalQuantile(0.025), -1.959963984540054, 1e-15);
    // Wichura (1988), AS 241, published test values.
    relClose(normalQuantile(0.25), -0.6744897501960817, 1e-14);
    relClose(normalQuantile(0.001), -3.090232306167814, 1e-14);
    relClose(normalQuantile(1e-20), -9.262340089798408, 1e-14);
    // Standard table values (9 decimals).
    expect(normalQuantile(0.95)).toBeCloseTo(1.644853627, 9);
    expect(normalQuantile(0.995)).toBeCloseTo(2.575829304, 9);
    expect(normalQuantile(0.5)).toBe(0);
  });

  it('inverts normalCdf from -37 to 8 and returns infinities at 0 and 1', () => {
    // For x > 0 the cdf is near 1 and its rounding (2 ulp = 4e-16 absolute) moves the quantile by 4e-16 / phi(x).
    for (let x = -37; x <= 8; x += 0.37) {
      const tol = 1e-13 * Math.max(1, Math.abs(x)) + (x > 0 ? 4e-16 / normalPdf(x) : 0);
      expect(Math.abs(normalQuantile(normalCdf(x)) - x)).toBeLessThanOrEqual(tol);
    }
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(() => normalQuantile(1.1)).toThrow(RangeError);
    expect(() => normalQuantile(Number.NaN)).toThrow(RangeError);
  });
});

describe('normalCdf', () => {
  it('matches numerical integration of the density', () => {
    for (const x of [0.1, 0.5, 1, 1.5, 1.96, 2, 2.5, 3, 4]) {
      expect(Math.abs(normalCdf(x) - phiBySimpson(x))).toBeLessThan(1e-14);
      expect(Math.abs(normalCdf(-x) - (1 - phiBySimpson(x)))).toBeLessThan(1e-14);
    }
  });

  it('keeps relative precision in the far lower tail', () => {
    // Phi(-10) = erfc(10/sqrt 2)/2 = 7.6198530241605260659733e-24 (30-digit reference, mpmath.ncdf(-10)).
    relClose(normalCdf(-10), 7.619853024160526e-24, 1e-14);
    // Asymptotic Mills series phi(x)/x (1 - 1/x^2 + 3/x^4 - 15/x^6 + ... + 10395/x^12) (A&S 26.2.12): alternating,
    // so the error is below the first omitted term 135135/x^14 = 8e-14 at x = 20.
    const x = 20;
    const terms = [1, -1, 3, -15, 105, -945, 10395].map((c, k) => c / x ** (2 * k));
    const series = (normalPdf(x) / x) * terms.reduce((s, v) => s + v, 0);
    relClose(normalCdf(-x), series, 1e-13);
    expect(normalCdf(-40)).toBe(0); // 3.6e-350 is below the smallest double
  });

  it('is symmetric and handles infinities', () => {
    for (const x of [0.3, 1.7, 2, 2.5, 6]) expect(normalCdf(x) + normalCdf(-x)).toBeCloseTo(1, 15);
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(-Infinity)).toBe(0);
    expect(normalCdf(Infinity)).toBe(1);
    expect(() => normalCdf(Number.NaN)).toThrow(RangeError);
  });
});

describe('studentTQuantile', () => {
  it('reproduces the classic t table (two-sided 95% and 99%, 3 decimals)', () => {
    const t975: Record<number, number> = {
      1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
      20: 2.086, 30: 2.042, 60: 2.0, 120: 1.98,
    };
    const t995: Record<number, number> = {
      1: 63.657, 2: 9.925, 3: 5.841, 4: 4.604, 5: 4.032, 6: 3.707, 7: 3.499, 8: 3.355, 9: 3.25, 10: 3.169,
    };
    for (const [df, v] of Object.entries(t975)) expect(studentTQuantile(0.975, Number(df))).toBeCloseTo(v, 3);
    for (const [df, v] of Object.entries(t995)) expect(studentTQuantile(0.995, Number(df))).toBeCloseTo(v, 3);
  });

  it('gives t_{0.975, 10} = 2.228138851986274 to full precision', () => {
    relClose(studentTQuantile(0.975, 10), 2.228138851986274, 1e-14);
    relClose(studentTQuantile(0.025, 10), -2.228138851986274, 1e-14);
  });

  it('matches the closed forms for 1, 2 and 4 degrees of freedom (Hill 1970)', () => {
    for (const p of [1e-12, 1e-4, 0.01, 0.2, 0.45, 0.55, 0.9, 0.975, 0.999]) {
      // nu = 1 (Cauchy): tan(pi (p - 1/2)), written as -cot(pi p) / cot(pi (1-p)) to avoid the pole's cancellation.
      const cauchy = p < 0.5 ? -1 / Math.tan(Math.PI * p) : 1 / Math.tan(Math.PI * (1 - p));
      relClose(studentTQuantile(p, 1), cauchy, 1e-12);
      // nu = 2: (2p - 1) / sqrt(2 p (1 - p)).
      relClose(studentTQuantile(p, 2), (2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 1e-12);
      // nu = 4: a = 4p(1-p), q = cos(acos(sqrt a)/3)/sqrt a, t = sign(p - 1/2) 2 sqrt(q - 1).
      const a = 4 * p * (1 - p);
      const q = Math.cos(Math.acos(Math.sqrt(a)) / 3) / Math.sqrt(a);
      relClose(studentTQuantile(p, 4), Math.sign(p - 0.5) * 2 * Math.sqrt(q - 1), 1e-11);
    }
    relClose(studentTQuantile(1e-300, 1), -1 / (Math.PI * 1e-300), 1e-12); // Cauchy far tail: -1/(pi p)
  });

  it('tends to the normal quantile as df grows and equals it at df = Infinity', () => {
    expect(studentTQuantile(0.975, Infinity)).toBe(normalQuantile(0.975));
    expect(Math.abs(studentTQuantile(0.975, 1e7) - normalQuantile(0.975))).toBeLessThan(1e-6);
  });

  it('rejects invalid arguments', () => {
    expect(() => studentTQuantile(0.5, 0)).toThrow(/df/);
    expect(() => studentTQuantile(-0.1, 3)).toThrow(RangeError);
    expect(studentTQuantile(1, 3)).toBe(Infinity);
  });
});

describe('studentTCdf and studentTPdf', () => {
  it('match the closed forms for 1 and 2 degrees of freedom', () => {
    for (const t of [-1e6, -30, -2.5, -0.3, 0, 0.7, 4, 1e3]) {
      // nu = 1: 1/2 + atan(t)/pi; lower tail written as atan2 form to keep precision: atan(1/|t|)/pi for t < 0.
      const c1 = t < 0 ? Math.atan(-1 / t) / Math.PI : 0.5 + Math.atan(t) / Math.PI;
      relClose(studentTCdf(t, 1), c1, 1e-13);
      relClose(studentTPdf(t, 1), 1 / (Math.PI * (1 + t * t)), 1e-13);
      // nu = 2: 1/2 + t / (2 sqrt(2 + t^2)).
      const c2 = t < 0 ? 1 / (Math.sqrt(2 + t * t) * (Math.sqrt(2 + t * t) - t)) : 0.5 + t / (2 * Math.sqrt(2 + t * t));
      relClose(studentTCdf(t, 2), c2, 1e-12);
    }
  });
});
