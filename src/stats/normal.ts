import { jStat } from './jstat-lib.js';
import { logBeta, logRegularizedIncompleteBeta } from './incomplete-beta.js';

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Standard normal density phi(x) = exp(-x^2/2) / sqrt(2 pi). */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x - LN_SQRT_2PI);
}

/**
 * Upper tail Q(x) = 1 - Phi(x) for x >= 2 by the Laplace continued fraction for Mills' ratio,
 *     Q(x) = phi(x) / (x + 1/(x + 2/(x + 3/(x + ...)))),
 * evaluated backwards from 300 terms (converged to double precision for x >= 2).
 * Reference: Abramowitz & Stegun (1964), formula 26.2.14.
 */
function upperTail(x: number): number {
  let t = x;
  for (let k = 300; k >= 1; k--) t = x + k / t;
  return normalPdf(x) / t;
}

function checkNumber(fn: string, name: string, v: number): void {
  if (Number.isNaN(v)) throw new RangeError(`${fn}: ${name} must be a number, got NaN`);
}

function checkProbability(fn: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${fn}: p must be in [0, 1], got ${p}`);
}

/**
 * Standard normal distribution function Phi(x) = (1 + erf(x / sqrt 2)) / 2.
 *
 * |x| < 2: jStat's erf (Chebyshev fit, Numerical Recipes `erfccheb`). |x| >= 2: the Mills-ratio continued fraction
 * (A&S 26.2.14), so the lower tail keeps full relative precision (Phi(-10) = 7.6e-24, where 1 - erf underflows to 0).
 * Reference: Abramowitz & Stegun (1964), "Handbook of Mathematical Functions", 26.2.2 and 26.2.14.
 *
 * @throws RangeError on NaN.
 */
export function normalCdf(x: number): number {
  checkNumber('normalCdf', 'x', x);
  if (x <= -2) return upperTail(-x);
  if (x >= 2) return 1 - upperTail(x);
  return 0.5 * (1 + jStat.erf(x / Math.SQRT2));
}

/**
 * Standard normal quantile Phi^{-1}(p): jStat's `normal.inv` as a starting point, then Newton steps on
 * ln Phi(x) = ln p in the lower tail (upper quantiles by symmetry, using the exact 1 - p for p >= 1/2), which brings
 * it to double precision (jStat alone is ~5e-10 relative in the far tail).
 * Reference: Abramowitz & Stegun (1964), 26.2; Wichura (1988), "Algorithm AS 241", Applied Statistics 37, for the
 * published values used in the tests.
 *
 * @returns -Infinity for p = 0, +Infinity for p = 1.
 * @throws RangeError unless 0 <= p <= 1.
 */
export function normalQuantile(p: number): number {
  checkProbability('normalQuantile', p);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  const lower = p < 0.5;
  const q = lower ? p : 1 - p; // exact for p >= 1/2 (Sterbenz)
  let x = -Math.abs(jStat.normal.inv(q, 0, 1));
  if (!Number.isFinite(x)) x = -Math.sqrt(-2 * Math.log(q)); // crude start; Newton below fixes it
  const lnQ = Math.log(q);
  for (let i = 0; i < 50; i++) {
    const f = normalCdf(x);
    const step = ((Math.log(f) - lnQ) * f) / normalPdf(x);
    x -= step;
    if (Math.abs(step) <= 1e-15 * Math.abs(x)) break;
  }
  return lower ? x : -x;
}

function checkDf(fn: string, df: number): void {
  if (!(df > 0)) throw new RangeError(`${fn}: df must be > 0, got ${df}`);
}

/** ln f(t; nu) = -((nu+1)/2) ln(1 + t^2/nu) - ln(sqrt(nu) B(nu/2, 1/2)). */
function studentTLogPdf(t: number, df: number): number {
  const a = Math.abs(t);
  // ln(1 + t^2/nu), without overflowing t^2 for |t| > 1e150 (reachable by quantiles of tiny p at small nu).
  const log1pT2 = a > 1e150 ? 2 * Math.log(a) - Math.log(df) : Math.log1p((t * t) / df);
  return -((df + 1) / 2) * log1pT2 - 0.5 * Math.log(df) - logBeta(df / 2, 0.5);
}

/** Student-t density f(t; nu) = (1 + t^2/nu)^(-(nu+1)/2) / (sqrt(nu) B(nu/2, 1/2)). */
export function studentTPdf(t: number, df: number): number {
  checkNumber('studentTPdf', 't', t);
  checkDf('studentTPdf', df);
  if (df === Infinity) return normalPdf(t);
  return Math.exp(studentTLogPdf(t, df));
}

/** ln F(t) for t <= 0: ln(I_{nu/(nu+t^2)}(nu/2, 1/2) / 2), in logs so that tiny tails do not underflow. */
function studentTLogLower(t: number, df: number): number {
  const a = Math.abs(t);
  if (a === 0) return -Math.LN2;
  if (a === Infinity) return -Infinity;
  let lnI: number;
  if (a > 1e150) {
    // nu/(nu+t^2) = (nu/t^2) / (1 + nu/t^2): its log is ln nu - 2 ln|t| - log1p(nu/t^2), and 1 - x is 1 to rounding.
    const r = df / a / a;
    lnI = logRegularizedIncompleteBeta(r, df / 2, 0.5, 1, Math.log(df) - 2 * Math.log(a) - Math.log1p(r), 0);
  } else {
    const t2 = a * a;
    const denom = df + t2;
    lnI = logRegularizedIncompleteBeta(df / denom, df / 2, 0.5, t2 / denom);
  }
  return lnI - Math.LN2;
}

/**
 * Student-t distribution function with nu = df degrees of freedom (real, > 0):
 *
 *     F(t) = I_{nu/(nu+t^2)}(nu/2, 1/2) / 2 for t <= 0,   F(t) = 1 - F(-t) for t > 0,
 *
 * with the regularized incomplete beta I of ./incomplete-beta.ts. df = Infinity gives the normal.
 * Reference: Abramowitz & Stegun (1964), formula 26.7.1 with 26.5.27 (relation to the incomplete beta).
 *
 * @throws RangeError on NaN t or df <= 0.
 */
export function studentTCdf(t: number, df: number): number {
  checkNumber('studentTCdf', 't', t);
  checkDf('studentTCdf', df);
  if (df === Infinity) return normalCdf(t);
  return t <= 0 ? Math.exp(studentTLogLower(t, df)) : -Math.expm1(studentTLogLower(-t, df));
}

/**
 * Student-t quantile F^{-1}(p; nu): jStat's `studentt.inv` as a start (~1e-8 relative, limited by its incomplete
 * beta), then Newton steps on ln F(x) = ln p (in ln|x|) in the lower tail with the full-precision {@link studentTCdf};
 * upper quantiles by symmetry. df = Infinity gives the normal quantile.
 * Reference: Abramowitz & Stegun (1964), 26.7; Hill (1970), "Algorithm 396: Student's t-quantiles", CACM 13(10)
 * (closed forms for nu = 1, 2, 4 used in the tests).
 *
 * @returns -Infinity for p = 0, +Infinity for p = 1.
 * @throws RangeError unless 0 <= p <= 1 and df > 0.
 */
export function studentTQuantile(p: number, df: number): number {
  checkProbability('studentTQuantile', p);
  checkDf('studentTQuantile', df);
  if (df === Infinity) return normalQuantile(p);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  const lower = p < 0.5;
  const q = lower ? p : 1 - p;
  let x = -Math.abs(jStat.studentt.inv(q, df));
  if (!Number.isFinite(x) || x === 0) x = normalQuantile(q);
  // Newton on ln F as a function of u = ln(-x): x stays negative, and for the Cauchy-like tails of small nu
  // (ln F ~ -ln|x|) one step is nearly exact where Newton in x would crawl. d ln F / du = x f(x) / F(x).
  // Steps are capped at a factor e^50.
  const lnQ = Math.log(q);
  for (let i = 0; i < 200; i++) {
    const lnF = studentTLogLower(x, df);
    const slope = x * Math.exp(studentTLogPdf(x, df) - lnF);
    const du = Math.max(-50, Math.min(50, (lnF - lnQ) / slope));
    x *= Math.exp(-du);
    if (Math.abs(du) <= 1e-15) break;
  }
  return lower ? x : -x;
}
