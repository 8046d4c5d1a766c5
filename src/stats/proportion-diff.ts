import { checkBinomial, checkConfidence } from './input.js';
import { normalCdf } from './normal.js';
import { wilsonInterval } from './wilson.js';

/** Difference p1 - p2 of two independent proportions with a two-sided confidence interval. */
export interface DifferenceInterval {
  /** x1/n1 - x2/n2 */
  difference: number;
  lower: number;
  upper: number;
}

/** Pooled two-proportion z-test of H0: p1 = p2. */
export interface TwoProportionTest {
  /** (p1_hat - p2_hat) / sqrt(p_pool (1 - p_pool) (1/n1 + 1/n2)); 0 when p_pool is 0 or 1. */
  z: number;
  /** Two-sided p-value 2 Phi(-|z|); 1 when p_pool is 0 or 1 (both samples all-failure or all-success). */
  pValue: number;
}

/**
 * Newcombe's hybrid score interval for the difference of two independent binomial proportions, theta = p1 - p2
 * (Newcombe 1998, method 10). With (l_j, u_j) the Wilson score interval of p_j at the same confidence level:
 *
 *     lower = d - sqrt( (p1 - l1)^2 + (u2 - p2)^2 ),   upper = d + sqrt( (u1 - p1)^2 + (p2 - l2)^2 ),   d = p1 - p2
 *
 * It needs no iteration, stays inside [-1, 1], and has coverage close to nominal even for small or extreme counts.
 * Reference: Newcombe (1998), "Interval estimation for the difference between independent proportions: comparison
 * of eleven methods", Statistics in Medicine 17, 873-890, method 10.
 *
 * @throws RangeError on n_j <= 0, x_j outside [0, n_j], non-finite input or confidence outside (0, 1).
 */
export function newcombeDifferenceInterval(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  confidence = 0.95,
): DifferenceInterval {
  const fn = 'newcombeDifferenceInterval';
  checkBinomial(fn, x1, n1, '1');
  checkBinomial(fn, x2, n2, '2');
  checkConfidence(fn, confidence);
  const a = wilsonInterval(x1, n1, confidence);
  const b = wilsonInterval(x2, n2, confidence);
  const d = a.estimate - b.estimate;
  return {
    difference: d,
    lower: Math.max(-1, d - Math.hypot(a.estimate - a.lower, b.upper - b.estimate)),
    upper: Math.min(1, d + Math.hypot(a.upper - a.estimate, b.estimate - b.lower)),
  };
}

/**
 * Two-sided pooled z-test for the difference of two independent proportions:
 *
 *     p = (x1 + x2) / (n1 + n2),   z = (x1/n1 - x2/n2) / sqrt( p (1 - p) (1/n1 + 1/n2) ),   p-value = 2 Phi(-|z|)
 *
 * z^2 equals Pearson's chi-square statistic of the 2x2 table without continuity correction. When p is 0 or 1 the
 * two samples are identical (all failures or all successes): z = 0 and the p-value is 1.
 * Reference: Agresti (2013), "Categorical Data Analysis", 3rd ed., Wiley, ch. 3 (Pearson chi-square of a 2x2 table
 * and its equivalence to the score test of p1 = p2).
 *
 * @throws RangeError on n_j <= 0, x_j outside [0, n_j] or non-finite input.
 */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): TwoProportionTest {
  const fn = 'twoProportionZTest';
  checkBinomial(fn, x1, n1, '1');
  checkBinomial(fn, x2, n2, '2');
  const pooled = (x1 + x2) / (n1 + n2);
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (!(variance > 0)) return { z: 0, pValue: 1 };
  const z = (x1 / n1 - x2 / n2) / Math.sqrt(variance);
  return { z, pValue: Math.min(1, 2 * normalCdf(-Math.abs(z))) };
}

/** {@link newcombeDifferenceInterval} and {@link twoProportionZTest} together. */
export function proportionDifference(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  confidence = 0.95,
): DifferenceInterval & TwoProportionTest {
  return { ...newcombeDifferenceInterval(x1, n1, x2, n2, confidence), ...twoProportionZTest(x1, n1, x2, n2) };
}
