import { checkNonNegative, checkSameLength, sumOf } from './input.js';

/** Options of {@link jensenShannonDivergence} and {@link jensenShannonDistance}. */
export interface JensenShannonOptions {
  /** Logarithm base: e (default, nats; maximum ln 2) or 2 (bits; maximum 1), or any base > 0, != 1. */
  base?: number;
}

/**
 * Jensen-Shannon divergence between two distributions over the same support (e.g. exposure share per item under two
 * model versions). Count vectors are normalized to probabilities first, so p and q may be raw counts.
 *
 *     M = (P + Q) / 2,   JSD(P, Q) = KL(P || M) / 2 + KL(Q || M) / 2,   KL(P || M) = sum_i p_i log(p_i / m_i)
 *
 * Symmetric, 0 iff P = Q, at most log(2) (1 bit), and finite even where one distribution has zeros.
 * Reference: Lin (1991), "Divergence measures based on the Shannon entropy", IEEE Trans. Information Theory 37(1);
 * Endres & Schindelin (2003), "A new metric for probability distributions", IEEE Trans. IT 49(7) (sqrt(JSD) is a
 * metric). Matches scipy.spatial.distance.jensenshannon squared.
 *
 * @throws RangeError on length mismatch, a negative or non-finite entry, a vector summing to 0, or an invalid base.
 */
export function jensenShannonDivergence(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  options: JensenShannonOptions = {},
): number {
  const fn = 'jensenShannonDivergence';
  checkSameLength(fn, 'p', p, 'q', q);
  checkNonNegative(fn, 'p', p);
  checkNonNegative(fn, 'q', q);
  const base = options.base ?? Math.E;
  if (!(base > 0) || base === 1 || !Number.isFinite(base)) {
    throw new RangeError(`${fn}: base must be finite, > 0 and != 1, got ${base}`);
  }
  const sp = sumOf(p);
  const sq = sumOf(q);
  if (sp === 0) throw new RangeError(`${fn}: p sums to 0, it is not a distribution`);
  if (sq === 0) throw new RangeError(`${fn}: q sums to 0, it is not a distribution`);
  let d = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / sp;
    const qi = q[i]! / sq;
    const mi = 0.5 * (pi + qi);
    if (pi > 0) d += 0.5 * pi * Math.log(pi / mi);
    if (qi > 0) d += 0.5 * qi * Math.log(qi / mi);
  }
  // Rounding can leave identical inputs a hair below 0 or disjoint ones a hair above ln 2.
  return Math.min(Math.LN2, Math.max(0, d)) / Math.log(base);
}

/**
 * Jensen-Shannon distance sqrt(JSD(P, Q)), a metric on distributions (Endres & Schindelin 2003); same inputs and
 * options as {@link jensenShannonDivergence}. Equals scipy.spatial.distance.jensenshannon(p, q, base).
 */
export function jensenShannonDistance(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  options: JensenShannonOptions = {},
): number {
  return Math.sqrt(jensenShannonDivergence(p, q, options));
}
