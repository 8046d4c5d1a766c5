import { checkNonNegative, checkSameLength, sumOf } from './input.js';
import { checkWeightedSample, sampleSize, type WeightedSample } from './weighted-sample.js';

/**
 * Population Stability Index between an expected (reference) and an actual (current) distribution over the same bins
 * or categories:
 *
 *     PSI = sum_i (a_i - e_i) ln(a_i / e_i),   e_i, a_i = shares of bin i (counts / total)
 *
 * A share of 0 is replaced by `epsilon` (default 1e-4, as Evidently does) so that a bin empty on one side gives a large
 * finite term instead of infinity. PSI is the symmetrised Kullback-Leibler divergence KL(a||e) + KL(e||a). Customary
 * reading (Yurdakul 2018): < 0.1 no significant change, 0.1-0.25 moderate, > 0.25 significant.
 * Reference: Yurdakul (2018), "Statistical properties of population stability index", PhD thesis, Western Michigan
 * University; Siddiqi (2006), "Credit Risk Scorecards", Wiley.
 *
 * @param expected counts (or shares) per bin of the reference
 * @param actual counts per bin of the current data, same length
 * @throws RangeError on length mismatch, negative or non-finite counts, a side summing to 0, or epsilon outside (0, 1).
 */
export function psi(expected: ArrayLike<number>, actual: ArrayLike<number>, epsilon = 1e-4): number {
  const fn = 'psi';
  checkSameLength(fn, 'expected', expected, 'actual', actual);
  checkNonNegative(fn, 'expected', expected);
  checkNonNegative(fn, 'actual', actual);
  if (!(epsilon > 0 && epsilon < 1)) throw new RangeError(`${fn}: epsilon must be in (0, 1), got ${epsilon}`);
  const se = sumOf(expected), sa = sumOf(actual);
  if (se === 0) throw new RangeError(`${fn}: expected sums to 0`);
  if (sa === 0) throw new RangeError(`${fn}: actual sums to 0`);
  let s = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]! / se || epsilon;
    const a = actual[i]! / sa || epsilon;
    s += (a - e) * Math.log(a / e);
  }
  return s;
}

/** The value of order statistic r (0-based) of a weighted sample, via its cumulative counts. */
function orderStatistic(s: WeightedSample, cum: Float64Array, r: number): number {
  let lo = 0, hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! > r) hi = mid;
    else lo = mid + 1;
  }
  return s.values[lo]!;
}

/**
 * Quantile bin edges of a reference sample: the sample quantiles at k / bins, k = 1 .. bins - 1, by linear
 * interpolation between order statistics (Hyndman & Fan 1996, definition 7, as numpy.quantile's default 'linear',
 * including its way of interpolating: for a fraction t >= 1/2 from x_(j) it computes x_(j+1) - (1 - t)(x_(j+1) - x_(j))),
 * with repeated edges dropped, so heavy ties give fewer bins.
 * Reference: Hyndman & Fan (1996), "Sample quantiles in statistical packages", The American Statistician 50(4).
 *
 * @param sample the reference as distinct values and counts (whole counts)
 * @param bins number of bins wanted, integer >= 2
 * @returns strictly increasing edges (at most bins - 1 of them)
 */
export function quantileBinEdges(sample: WeightedSample, bins: number): Float64Array {
  const fn = 'quantileBinEdges';
  checkWeightedSample(fn, 'sample', sample);
  if (!Number.isInteger(bins) || bins < 2) throw new RangeError(`${fn}: bins must be an integer >= 2, got ${bins}`);
  const n = sampleSize(sample);
  const cum = new Float64Array(sample.counts.length);
  let c = 0;
  for (let i = 0; i < cum.length; i++) cum[i] = c += sample.counts[i]!;
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const q = k / bins;
    const h = (n - 1) * q;
    const lo = Math.floor(h);
    const t = h - lo;
    const a = orderStatistic(sample, cum, lo);
    const b = lo + 1 <= n - 1 ? orderStatistic(sample, cum, lo + 1) : a;
    const d = b - a;
    const v = t >= 0.5 ? b - d * (1 - t) : a + d * t;
    if (!edges.length || v > edges[edges.length - 1]!) edges.push(v);
  }
  return Float64Array.from(edges);
}

/**
 * Counts of a weighted sample in the bins (-inf, e_1], (e_1, e_2], ..., (e_k, +inf) of strictly increasing edges:
 * a value v goes to bin #{j : e_j < v} (numpy.searchsorted(edges, v, side='left')).
 */
export function binCounts(sample: WeightedSample, edges: ArrayLike<number>): Float64Array {
  checkWeightedSample('binCounts', 'sample', sample);
  const out = new Float64Array(edges.length + 1);
  let b = 0;
  for (let i = 0; i < sample.values.length; i++) {
    const v = sample.values[i]!;
    while (b < edges.length && edges[b]! < v) b++;
    out[b]! += sample.counts[i]!;
  }
  return out;
}
