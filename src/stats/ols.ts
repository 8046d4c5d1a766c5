import { checkConfidence, checkFinite, checkNonNegative, checkSameLength } from './input.js';
import { studentTQuantile } from './normal.js';

/** Straight-line least-squares fit y = intercept + slope * x with inference on the slope. */
export interface OlsFit {
  slope: number;
  intercept: number;
  /** Standard error of the slope. */
  se: number;
  /** Standard error of the intercept. */
  interceptSe: number;
  /** Two-sided confidence interval for the slope: slope -+ t_{(1+c)/2, df} * se. */
  ci: [number, number];
  /** Residual standard error s = sqrt(RSS / df) (weighted RSS when weighted). */
  residualSe: number;
  /** Number of observations used (those with positive weight). */
  n: number;
  /** Residual degrees of freedom, n - 2. */
  df: number;
}

/**
 * Ordinary (or weighted) least-squares regression of y on x with an intercept, and a t-interval for the slope.
 * With weights w_i (all 1 for OLS), W = sum w, x_bar = sum w x / W, y_bar = sum w y / W:
 *
 *     Sxx = sum w (x - x_bar)^2,   Sxy = sum w (x - x_bar)(y - y_bar),   slope b = Sxy / Sxx,   a = y_bar - b x_bar
 *     s^2 = sum w (y - a - b x)^2 / (n - 2),   se(b) = s / sqrt(Sxx),   se(a) = s sqrt(1/W + x_bar^2 / Sxx)
 *     CI = b -+ t_{(1 + confidence)/2, n-2} se(b)
 *
 * Weights are precision weights (Var(y_i) = sigma^2 / w_i), as in R's lm(weights = ); scaling all weights by a
 * constant changes nothing, and observations with weight 0 are dropped (they do not count in n).
 * In Loopguard: the popularity-amplification slope regresses an item's exposure share under model version v+1 on its
 * share under v; slope > 1 means the already-popular get relatively more (rich-get-richer).
 * Reference: Draper & Smith (1998), "Applied Regression Analysis", 3rd ed., Wiley, ch. 1 (straight line) and
 * ch. 9 (weighted least squares); Anscombe (1973), "Graphs in statistical analysis", The American Statistician 27(1),
 * for the published example used in the tests.
 *
 * @param x predictor values, finite
 * @param y responses, finite, same length as x
 * @param confidence two-sided level of the slope interval, in (0, 1); default 0.95
 * @param weights optional precision weights, finite and >= 0, same length as x
 * @throws RangeError on length mismatch, non-finite values, negative weights, fewer than 3 positive-weight
 *   observations, or x without variation (Sxx = 0).
 */
export function olsSlope(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  confidence = 0.95,
  weights?: ArrayLike<number>,
): OlsFit {
  const fn = 'olsSlope';
  checkSameLength(fn, 'x', x, 'y', y);
  checkFinite(fn, 'x', x);
  checkFinite(fn, 'y', y);
  checkConfidence(fn, confidence);
  if (weights !== undefined) {
    checkSameLength(fn, 'x', x, 'weights', weights);
    checkNonNegative(fn, 'weights', weights);
  }
  const w = (i: number): number => (weights === undefined ? 1 : weights[i]!);
  let n = 0;
  let sw = 0;
  let swx = 0;
  let swy = 0;
  for (let i = 0; i < x.length; i++) {
    const wi = w(i);
    if (wi === 0) continue;
    n++;
    sw += wi;
    swx += wi * x[i]!;
    swy += wi * y[i]!;
  }
  if (n < 3) throw new RangeError(`${fn}: need at least 3 observations with positive weight, got ${n}`);
  const xBar = swx / sw;
  const yBar = swy / sw;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < x.length; i++) {
    const wi = w(i);
    if (wi === 0) continue;
    const dx = x[i]! - xBar;
    sxx += wi * dx * dx;
    sxy += wi * dx * (y[i]! - yBar);
  }
  if (!(sxx > 0)) throw new RangeError(`${fn}: x has no variation (all observations share one x value)`);
  const slope = sxy / sxx;
  const intercept = yBar - slope * xBar;
  let rss = 0;
  for (let i = 0; i < x.length; i++) {
    const wi = w(i);
    if (wi === 0) continue;
    const r = y[i]! - intercept - slope * x[i]!;
    rss += wi * r * r;
  }
  const df = n - 2;
  const s2 = rss / df;
  const se = Math.sqrt(s2 / sxx);
  const interceptSe = Math.sqrt(s2 * (1 / sw + (xBar * xBar) / sxx));
  const t = studentTQuantile(0.5 + confidence / 2, df);
  return {
    slope,
    intercept,
    se,
    interceptSe,
    ci: [slope - t * se, slope + t * se],
    residualSe: Math.sqrt(s2),
    n,
    df,
  };
}
