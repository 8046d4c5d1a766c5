import { checkBinomial, checkConfidence } from './input.js';
import { normalQuantile } from './normal.js';

/** A point estimate of a proportion with a two-sided confidence interval. */
export interface ProportionInterval {
  /** successes / n */
  estimate: number;
  lower: number;
  upper: number;
}

/**
 * Wilson score interval for a binomial proportion (no continuity correction): the set of p for which the score
 * test |p_hat - p| / sqrt(p (1-p) / n) <= z does not reject, i.e.
 *
 *     ( x + z^2/2  +-  z sqrt( x (n - x) / n + z^2/4 ) ) / ( n + z^2 ),   z = Phi^{-1}((1 + confidence) / 2)
 *
 * Unlike the Wald interval it stays inside [0, 1] and does not collapse to a point at x = 0 or x = n (the bound at
 * the boundary is exactly 0 or 1). Reference: Wilson (1927), "Probable inference, the law of succession, and
 * statistical inference", JASA 22; Newcombe (1998), "Two-sided confidence intervals for the single proportion:
 * comparison of seven methods", Statistics in Medicine 17, method 3.
 *
 * @param successes x, in [0, n]; need not be an integer (the formula is evaluated as is for weighted counts)
 * @param n number of trials, > 0
 * @param confidence two-sided level in (0, 1), default 0.95
 * @throws RangeError on n <= 0, x outside [0, n], non-finite input or confidence outside (0, 1).
 */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): ProportionInterval {
  checkBinomial('wilsonInterval', successes, n);
  checkConfidence('wilsonInterval', confidence);
  const z = normalQuantile(0.5 + confidence / 2);
  const z2 = z * z;
  const denom = n + z2;
  const centre = (successes + z2 / 2) / denom;
  const half = (z * Math.sqrt((successes * (n - successes)) / n + z2 / 4)) / denom;
  return {
    estimate: successes / n,
    lower: successes === 0 ? 0 : Math.max(0, centre - half),
    upper: successes === n ? 1 : Math.min(1, centre + half),
  };
}
