import { checkInteger, checkNonNegative, sumOf } from './input.js';

/**
 * Shannon entropy (natural log, nats) of the exposure distribution p_i = c_i / sum c:
 *
 *     H = - sum_{i: c_i > 0} p_i ln p_i
 *
 * Zero counts contribute nothing (0 ln 0 = 0), so unexposed catalog items need not be passed.
 * Reference: Shannon (1948), "A mathematical theory of communication", Bell System Technical Journal 27;
 * Cover & Thomas (2006), "Elements of Information Theory", 2nd ed., ch. 2.
 *
 * @param counts counts (or probabilities) per item, finite and >= 0
 * @returns H in [0, ln m] (m = number of positive counts); NaN when the total is 0 (no distribution).
 * @throws RangeError on a negative or non-finite count.
 */
export function entropy(counts: ArrayLike<number>): number {
  checkNonNegative('entropy', 'counts', counts);
  const total = sumOf(counts);
  if (total === 0) return NaN;
  let h = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c > 0) {
      const p = c / total;
      h -= p * Math.log(p);
    }
  }
  return Math.max(0, h);
}

/**
 * Normalized entropy ("Pielou's evenness") of exposure over a catalog of K items:
 *
 *     J = H / ln K
 *
 * 1 when every catalog item is exposed equally, 0 when all exposure is on one item.
 * K = 1: ln K = 0 and H = 0, so J is 0/0; we define J = 1 there, because the single possible distribution is also the
 * most even one the catalog allows (nothing can be more spread out), so a verdict "concentrated" would be wrong.
 * Reference: Pielou (1966), "The measurement of diversity in different types of biological collections",
 * J. Theoretical Biology 13.
 *
 * @param counts counts per item, finite and >= 0; items absent from `counts` are treated as zeros
 * @param catalogSize K, an integer >= max(1, counts.length)
 * @returns J in [0, 1]; NaN when the total count is 0.
 * @throws RangeError on invalid counts or catalogSize.
 */
export function entropyNorm(counts: ArrayLike<number>, catalogSize: number): number {
  checkInteger('entropyNorm', 'catalogSize', catalogSize, 1);
  if (catalogSize < counts.length) {
    throw new RangeError(
      `entropyNorm: catalogSize must be >= counts.length (${counts.length}), got ${catalogSize}`,
    );
  }
  const h = entropy(counts);
  if (Number.isNaN(h)) return NaN;
  if (catalogSize === 1) return 1;
  return Math.min(1, h / Math.log(catalogSize));
}
