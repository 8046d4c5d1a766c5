import { sortedPaddedCounts } from './input.js';

/** Lorenz curve as two parallel arrays of n + 1 points, the first being (0, 0) and the last (1, 1). */
export interface LorenzCurve {
  /** Cumulative share of items, i / n for i = 0..n (items sorted by ascending exposure). */
  x: Float64Array;
  /** Cumulative share of exposure held by those i least exposed items. */
  y: Float64Array;
}

/**
 * Lorenz curve of item exposure. With counts padded with zeros to the catalog size n and sorted ascending,
 *
 *     L(i/n) = sum_{j<=i} x_(j) / sum_j x_j,   i = 0..n,   L(0) = 0
 *
 * The curve lies below the diagonal; twice the area between them equals the Gini coefficient:
 * G = 1 - sum_{i=1..n} (x_i - x_{i-1}) (y_i + y_{i-1}) (trapezoid rule, exact for this piecewise-linear curve).
 * Reference: Lorenz (1905), "Methods of measuring the concentration of wealth", Publications of the American
 * Statistical Association 9(70); Gastwirth (1972), "The estimation of the Lorenz curve and Gini index", Review of
 * Economics and Statistics 54(3).
 *
 * @param counts exposure count per item, finite and >= 0
 * @param catalogSize catalog size (>= counts.length); never-exposed items are zeros. Defaults to counts.length.
 * @returns the n + 1 points; when the total exposure is 0 the y values are NaN (the curve is undefined), x is still
 *   filled.
 * @throws RangeError on a negative or non-finite count, or a catalogSize smaller than counts.length.
 */
export function lorenzCurve(counts: ArrayLike<number>, catalogSize?: number): LorenzCurve {
  const sorted = sortedPaddedCounts('lorenzCurve', counts, catalogSize);
  const n = sorted.length;
  const x = new Float64Array(n + 1);
  const y = new Float64Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) total += sorted[i]!;
  let cum = 0;
  for (let i = 1; i <= n; i++) {
    cum += sorted[i - 1]!;
    x[i] = i / n;
    y[i] = total === 0 ? NaN : cum / total;
  }
  if (n > 0 && total > 0) y[n] = 1; // remove rounding in the last cumulative sum
  return { x, y };
}
