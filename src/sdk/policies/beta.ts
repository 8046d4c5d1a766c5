/**
 * Beta distributions for the bandit policies: sampling (on the logit scale, so that draws near 0 or 1 never tie),
 * the CDF pair (F, 1 - F) each to full relative precision, the density on the logit scale, and the logit mean and
 * standard deviation that size the quadrature.
 *
 * Gamma deviates: Marsaglia & Tsang 2000, "A simple method for generating gamma variables", ACM TOMS 26(3), with the
 * boost Gamma(a) = Gamma(a + 1) U^{1/a} for a < 1 (kept in logs). Beta(a, b) = X / (X + Y), X ~ Gamma(a), Y ~ Gamma(b),
 * so logit(theta) = ln X - ln Y.
 * Digamma and trigamma: recurrence up to x >= 6, then the asymptotic series (Abramowitz & Stegun 6.3.18, 6.4.12);
 * E[logit theta] = psi(a) - psi(b), Var[logit theta] = psi'(a) + psi'(b).
 */
import { logBeta, regularizedIncompleteBeta } from '../../stats/incomplete-beta.js';
import type { Rng } from '../../stats/rng.js';

export { logBeta };

/** ln of a Gamma(a, 1) deviate. */
export function logGammaDeviate(a: number, rng: Rng): number {
  if (a < 1) {
    let u = rng.next();
    while (u === 0) u = rng.next();
    return logGammaDeviate(a + 1, rng) + Math.log(u) / a;
  }
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return Math.log(d * v);
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return Math.log(d * v);
  }
}

/** logit of a Beta(a, b) deviate. */
export function betaLogitDeviate(a: number, b: number, rng: Rng): number {
  return logGammaDeviate(a, rng) - logGammaDeviate(b, rng);
}

export function digamma(x: number): number {
  let r = 0;
  while (x < 6) {
    r -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return r + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))));
}

export function trigamma(x: number): number {
  let r = 0;
  while (x < 6) {
    r += 1 / (x * x);
    x += 1;
  }
  const f = 1 / (x * x);
  return r + 1 / x + f / 2 + (f / x) * (1 / 6 - f * (1 / 30 - f * (1 / 42 - f / 30)));
}

/** Mean and standard deviation of logit(theta), theta ~ Beta(a, b). */
export function logitMoments(a: number, b: number): { mean: number; sd: number } {
  return { mean: digamma(a) - digamma(b), sd: Math.sqrt(trigamma(a) + trigamma(b)) };
}

/** ln x and ln(1 - x) for x = 1 / (1 + e^{-y}), accurate in both tails. */
export function logSigmoids(y: number): { lnX: number; ln1mX: number } {
  // ln(1 + e^y) without overflow
  const softplus = y > 0 ? y + Math.log1p(Math.exp(-y)) : Math.log1p(Math.exp(y));
  return { lnX: y - softplus, ln1mX: -softplus };
}

/**
 * F = P(theta <= x) and S = P(theta > x) at x = sigmoid(y), each with full relative precision: the smaller of the
 * two is computed directly (I_x(a, b) or I_{1-x}(b, a)), the larger as 1 minus it.
 */
export function betaCdfPair(y: number, a: number, b: number): { F: number; S: number } {
  const { lnX, ln1mX } = logSigmoids(y);
  const x = Math.exp(lnX), x1 = Math.exp(ln1mX);
  if (x === 0) return { F: 0, S: 1 };
  if (x1 === 0) return { F: 1, S: 0 };
  const F = regularizedIncompleteBeta(x, a, b, x1);
  if (F <= 0.5) return { F, S: 1 - F };
  const S = regularizedIncompleteBeta(x1, b, a, x);
  return { F: 1 - S, S };
}

/** Density of logit(theta) at y: x^a (1 - x)^b / B(a, b), x = sigmoid(y). */
export function betaLogitDensity(y: number, a: number, b: number, lnB: number): number {
  const { lnX, ln1mX } = logSigmoids(y);
  return Math.exp(a * lnX + b * ln1mX - lnB);
}
