import { checkNonNegative } from './input.js';

/**
 * Kish / Kong effective sample size of importance weights:
 *
 *     n_eff = (sum_i w_i)^2 / sum_i w_i^2
 *
 * n for equal weights, 1 when a single weight carries everything; invariant to rescaling the weights. It is the
 * number of equally weighted draws that would give a weighted mean the same variance (for weights independent of
 * the values), the usual health check of off-policy (importance-weighted) estimates.
 * Reference: Kong (1992), "A note on importance sampling using standardized weights", Tech. Rep. 348, Dept. of
 * Statistics, University of Chicago; Kish (1965), "Survey Sampling", Wiley; Owen (2013), "Monte Carlo theory,
 * methods and examples", ch. 9 (importance sampling).
 *
 * @param weights importance weights, finite and >= 0
 * @returns n_eff in [1, n] when some weight is positive; 0 when there are no weights or all are 0 (no usable sample).
 * @throws RangeError on a negative or non-finite weight.
 */
export function effectiveSampleSize(weights: ArrayLike<number>): number {
  checkNonNegative('effectiveSampleSize', 'weights', weights);
  // Scale by the largest weight first so that sum w^2 neither overflows nor underflows.
  let max = 0;
  for (let i = 0; i < weights.length; i++) max = Math.max(max, weights[i]!);
  if (max === 0) return 0;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < weights.length; i++) {
    const v = weights[i]! / max;
    s += v;
    s2 += v * v;
  }
  return (s * s) / s2;
}
