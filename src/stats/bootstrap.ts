import { checkConfidence, checkFinite, checkInteger } from './input.js';
import type { Rng } from './rng.js';

/**
 * Sample quantile by linear interpolation between order statistics, Hyndman & Fan (1996) definition 7 (the default
 * of R's quantile() and of numpy.quantile, method='linear'). For sorted x_(0) <= ... <= x_(n-1) (0-based):
 *
 *     h = (n - 1) p,   Q(p) = x_(floor h) + (h - floor h) (x_(floor h + 1) - x_(floor h))
 *
 * so Q(0) is the minimum and Q(1) the maximum.
 * Reference: Hyndman & Fan (1996), "Sample quantiles in statistical packages", The American Statistician 50(4).
 *
 * @param samples finite values, at least one
 * @param p probability in [0, 1]
 * @param sorted pass true when `samples` is already sorted ascending to skip the copy and sort
 * @throws RangeError on an empty or non-finite sample or p outside [0, 1].
 */
export function quantile(samples: ArrayLike<number>, p: number, sorted = false): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile: p must be in [0, 1], got ${p}`);
  const x = prepare('quantile', samples, sorted);
  return quantileSorted(x, p);
}

function prepare(fn: string, samples: ArrayLike<number>, sorted: boolean): ArrayLike<number> {
  if (samples.length === 0) throw new RangeError(`${fn}: samples must not be empty`);
  checkFinite(fn, 'samples', samples);
  return sorted ? samples : Float64Array.from(samples).sort();
}

function quantileSorted(x: ArrayLike<number>, p: number): number {
  const h = (x.length - 1) * p;
  const lo = Math.floor(h);
  const frac = h - lo;
  const a = x[lo]!;
  if (frac === 0) return a;
  return a + frac * (x[lo + 1]! - a);
}

/**
 * Two-sided percentile interval of bootstrap replicates (Efron 1979; Efron & Tibshirani 1993, "An Introduction to
 * the Bootstrap", Chapman & Hall, ch. 13): the (1 - c)/2 and (1 + c)/2 sample quantiles of the replicates, with the
 * Hyndman-Fan type 7 definition of {@link quantile} (numpy's default), so it matches
 * numpy.percentile(samples, [2.5, 97.5]) for c = 0.95.
 *
 * @param samples bootstrap replicates of a statistic, finite, at least one
 * @param confidence level in (0, 1), default 0.95
 * @param sorted pass true when `samples` is already sorted ascending
 * @returns [lower, upper]
 * @throws RangeError on an empty or non-finite sample or a confidence outside (0, 1).
 */
export function percentileInterval(
  samples: ArrayLike<number>,
  confidence = 0.95,
  sorted = false,
): [number, number] {
  checkConfidence('percentileInterval', confidence);
  const x = prepare('percentileInterval', samples, sorted);
  const alpha = 1 - confidence;
  return [quantileSorted(x, alpha / 2), quantileSorted(x, 1 - alpha / 2)];
}

/**
 * One nonparametric bootstrap resample: n indices drawn uniformly with replacement from 0..n-1 with the seeded RNG
 * (Efron 1979, "Bootstrap methods: another look at the jackknife", Annals of Statistics 7(1)).
 *
 * @param n sample size, integer >= 1 (and < 2^32)
 * @param rng seeded generator from ./rng.ts; the same seed gives the same resamples
 * @param out optional buffer of length n to fill instead of allocating
 * @throws RangeError on an invalid n or a buffer of the wrong length.
 */
export function bootstrapIndices(n: number, rng: Rng, out?: Uint32Array): Uint32Array {
  checkInteger('bootstrapIndices', 'n', n, 1);
  if (n > 0xffffffff) throw new RangeError(`bootstrapIndices: n must be < 2^32, got ${n}`);
  const idx = out ?? new Uint32Array(n);
  if (idx.length !== n) throw new RangeError(`bootstrapIndices: out has length ${idx.length}, expected ${n}`);
  for (let i = 0; i < n; i++) idx[i] = rng.int(n);
  return idx;
}

/**
 * B bootstrap replicates of a statistic: for b = 1..B, draw {@link bootstrapIndices} and call `statistic` on them.
 * The index buffer is reused between calls, so `statistic` must not keep it.
 *
 * @param n sample size, integer >= 1
 * @param replicates B, integer >= 1
 * @param rng seeded generator
 * @param statistic maps a resample's indices (into the caller's data) to a number
 * @returns the B replicates, in draw order
 */
export function bootstrapReplicates(
  n: number,
  replicates: number,
  rng: Rng,
  statistic: (indices: Uint32Array) => number,
): Float64Array {
  checkInteger('bootstrapReplicates', 'replicates', replicates, 1);
  checkInteger('bootstrapReplicates', 'n', n, 1);
  const buf = new Uint32Array(n);
  const out = new Float64Array(replicates);
  for (let b = 0; b < replicates; b++) out[b] = statistic(bootstrapIndices(n, rng, buf));
  return out;
}
