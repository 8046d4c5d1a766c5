/**
 * Input checks shared by the kernels in src/stats. Every kernel validates its arguments up front and throws a
 * RangeError naming the function and the offending element, so a bad aggregate from a store fails loudly instead of
 * producing a plausible-looking number.
 */

/** Throws unless every element of `xs` is finite and >= 0 (exposure counts, weights, probabilities). */
export function checkNonNegative(fn: string, name: string, xs: ArrayLike<number>): void {
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    if (!Number.isFinite(v) || v < 0) {
      throw new RangeError(`${fn}: ${name}[${i}] must be a finite number >= 0, got ${v}`);
    }
  }
}

/** Throws unless every element of `xs` is finite. */
export function checkFinite(fn: string, name: string, xs: ArrayLike<number>): void {
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`${fn}: ${name}[${i}] must be a finite number, got ${v}`);
  }
}

/** Throws unless `a` and `b` have the same length. */
export function checkSameLength(fn: string, aName: string, a: ArrayLike<number>, bName: string, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new RangeError(`${fn}: ${aName} and ${bName} must have the same length, got ${a.length} and ${b.length}`);
  }
}

/** Throws unless 0 < confidence < 1. */
export function checkConfidence(fn: string, confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`${fn}: confidence must be strictly between 0 and 1, got ${confidence}`);
  }
}

/** Throws unless n > 0 and 0 <= successes <= n, both finite. */
export function checkBinomial(fn: string, successes: number, n: number, label = ''): void {
  if (!(Number.isFinite(n) && n > 0)) throw new RangeError(`${fn}: n${label} must be a finite number > 0, got ${n}`);
  if (!(Number.isFinite(successes) && successes >= 0 && successes <= n)) {
    throw new RangeError(`${fn}: successes${label} must be in [0, n${label}] = [0, ${n}], got ${successes}`);
  }
}

/** Throws unless `v` is an integer >= `min`. */
export function checkInteger(fn: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${fn}: ${name} must be an integer >= ${min}, got ${v}`);
}

/**
 * Validates counts (finite, >= 0) and an optional catalog size (integer >= counts.length), and returns the counts
 * padded with zeros to the catalog size, sorted ascending. Items of the catalog that were never exposed do not appear
 * in a GROUP BY aggregate; the padding puts them back as zeros.
 */
export function sortedPaddedCounts(fn: string, counts: ArrayLike<number>, catalogSize?: number): Float64Array {
  checkNonNegative(fn, 'counts', counts);
  const n = catalogSize ?? counts.length;
  if (catalogSize !== undefined) {
    if (!Number.isInteger(catalogSize) || catalogSize < counts.length) {
      throw new RangeError(
        `${fn}: catalogSize must be an integer >= counts.length (${counts.length}), got ${catalogSize}`,
      );
    }
  }
  const x = new Float64Array(n); // zeros beyond counts.length
  for (let i = 0; i < counts.length; i++) x[i] = counts[i]!;
  x.sort();
  return x;
}

/** Sum of the elements (plain left-to-right; inputs here are a few thousand aggregates). */
export function sumOf(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s;
}
