import { sortedPaddedCounts } from './input.js';

/**
 * Gini coefficient of item exposure counts: 0 when every catalog item is shown equally often, (K-1)/K when all
 * exposure goes to one of K items.
 *
 * With the counts padded with zeros to the catalog size n (never-exposed items count) and sorted ascending
 * x_(1) <= ... <= x_(n):
 *
 *     G = sum_{i=1..n} (2i - n - 1) x_(i) / (n * sum_i x_i)
 *
 * which equals the mean-absolute-difference form sum_i sum_j |x_i - x_j| / (2 n^2 mean(x)) and twice the area between
 * the Lorenz curve and the diagonal. This is the population ("uncorrected") Gini: its maximum is (n-1)/n, not 1.
 * Reference: Gini (1912), "Variabilità e mutabilità"; sorted form in Damgaard & Weiner (2000), "Describing inequality
 * in plant size or fecundity", Ecology 81(4); used for recommendation exposure in Fleder & Hosanagar (2009),
 * "Blockbuster culture's next rise or fall", Management Science 55(5).
 *
 * @param counts exposure count per item (any order), finite and >= 0
 * @param catalogSize number of items in the catalog (>= counts.length); missing items are zeros. Defaults to
 *   counts.length.
 * @returns G in [0, (n-1)/n]; NaN when there is no exposure at all (total 0) or the catalog is empty, since the
 *   coefficient is then 0/0.
 * @throws RangeError on a negative or non-finite count, or a catalogSize smaller than counts.length.
 */
export function gini(counts: ArrayLike<number>, catalogSize?: number): number {
  const x = sortedPaddedCounts('gini', counts, catalogSize);
  const n = x.length;
  let total = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    total += v;
    weighted += (2 * (i + 1) - n - 1) * v;
  }
  if (n === 0 || total === 0) return NaN;
  // Rounding can leave a uniform vector a hair below zero.
  return Math.max(0, weighted / (n * total));
}
