/**
 * A sample as its distinct values with their multiplicities: what `SELECT v, count(*) GROUP BY v ORDER BY v` returns.
 * Every empirical-distribution statistic here (Kolmogorov-Smirnov, Wasserstein-1, quantile bins) is exact over this
 * form: the empirical CDF of the raw sample is a step function that only steps at the distinct values, by count / n.
 */
export interface WeightedSample {
  /** Distinct finite values, strictly increasing. */
  values: Float64Array;
  /** Multiplicity of each value, finite and > 0 (whole numbers for tests whose null law depends on n). */
  counts: Float64Array;
}

/** Samples already checked (kernels called one after another on the same profile check it once). */
const checked = new WeakMap<Float64Array, Float64Array>();

/**
 * Throws a RangeError unless `s` is a valid {@link WeightedSample} with at least one value. A sample that passed is
 * remembered (by its arrays), so treat samples as immutable once built.
 */
export function checkWeightedSample(fn: string, name: string, s: WeightedSample): void {
  const { values, counts } = s;
  if (checked.get(values) === counts) return;
  if (values.length !== counts.length)
    throw new RangeError(`${fn}: ${name}.values and ${name}.counts must have the same length, got ${values.length} and ${counts.length}`);
  if (values.length === 0) throw new RangeError(`${fn}: ${name} must not be empty`);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const c = counts[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`${fn}: ${name}.values[${i}] must be finite, got ${v}`);
    if (!(Number.isFinite(c) && c > 0)) throw new RangeError(`${fn}: ${name}.counts[${i}] must be a finite number > 0, got ${c}`);
    if (i > 0 && !(v > values[i - 1]!))
      throw new RangeError(`${fn}: ${name}.values must be strictly increasing, but values[${i}] = ${v} follows ${values[i - 1]}`);
  }
  checked.set(values, counts);
}

/** The weighted form of a raw sample (sorted, ties merged). Non-finite values throw. */
export function toWeightedSample(raw: ArrayLike<number>): WeightedSample {
  const sorted = Float64Array.from(raw).sort();
  for (let i = 0; i < sorted.length; i++)
    if (!Number.isFinite(sorted[i]!)) throw new RangeError(`toWeightedSample: values must be finite, got ${sorted[i]}`);
  const values: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    if (values.length && values[values.length - 1] === v) counts[counts.length - 1]!++;
    else values.push(v), counts.push(1);
  }
  return { values: Float64Array.from(values), counts: Float64Array.from(counts) };
}

/** Total count n = sum of the multiplicities. */
export function sampleSize(s: WeightedSample): number {
  let n = 0;
  for (let i = 0; i < s.counts.length; i++) n += s.counts[i]!;
  return n;
}

/** Mean and population standard deviation (divisor n, numpy's default ddof = 0), two-pass. */
export function weightedMeanSd(s: WeightedSample): { mean: number; sd: number; n: number } {
  const n = sampleSize(s);
  let m = 0;
  for (let i = 0; i < s.values.length; i++) m += s.values[i]! * s.counts[i]!;
  m /= n;
  let ss = 0;
  for (let i = 0; i < s.values.length; i++) {
    const d = s.values[i]! - m;
    ss += d * d * s.counts[i]!;
  }
  return { mean: m, sd: Math.sqrt(ss / n), n };
}
