import { checkInteger, checkNonNegative, sumOf } from './input.js';

/**
 * Share of all exposure that goes to the k most exposed items ("top-k share", concentration ratio CR_k):
 *
 *     S_k = sum_{i=1..k} x_[i] / sum_i x_i,   x_[1] >= x_[2] >= ... (counts sorted descending)
 *
 * Reference: the k-firm concentration ratio CR_k of industrial economics, e.g. Tirole (1988), "The Theory of
 * Industrial Organization", MIT Press (section on concentration indices).
 *
 * @param counts exposure count per item, finite and >= 0
 * @param k number of top items, integer >= 0; k >= counts.length gives 1
 * @returns S_k in [0, 1]; NaN when the total is 0.
 * @throws RangeError on a negative or non-finite count or a k that is not a non-negative integer.
 */
export function topShare(counts: ArrayLike<number>, k: number): number {
  checkNonNegative('topShare', 'counts', counts);
  checkInteger('topShare', 'k', k, 0);
  const total = sumOf(counts);
  if (total === 0) return NaN;
  if (k >= counts.length) return 1;
  if (k === 0) return 0;
  const sorted = Float64Array.from(counts).sort();
  let top = 0;
  for (let i = sorted.length - 1; i >= sorted.length - k; i--) top += sorted[i]!;
  return Math.min(1, top / total);
}
