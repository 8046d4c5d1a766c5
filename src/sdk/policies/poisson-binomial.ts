/**
 * Truncated generating polynomials of the Poisson-binomial distribution: the number N of independent events with
 * probabilities p_1..p_n has P(N = d) = [z^d] prod_l ((1 - p_l) + p_l z). Rank marginals of independent random scores
 * reduce to these (the item is at position j when exactly j - 1 others beat it), so Plackett-Luce and Thompson
 * sampling share them. Products of probabilities only (no division, no alternating sums), so they are numerically
 * stable; coefficients above the truncation degree are never formed.
 */

/**
 * Probabilities below 1e-100 are taken as 0 (inputs and results), so that no product of two of them is a denormal
 * number, which would make arithmetic one to two orders of magnitude slower. Absolute error: below n 1e-100.
 */
const TINY = 1e-100;
const flush = (x: number): number => (x < TINY ? 0 : x);

/** poly[0..deg] *= (q + p z), truncated at degree `maxDeg` (deg <= maxDeg); returns the new degree. */
export function multiplyFactor(poly: Float64Array, deg: number, maxDeg: number, q: number, p: number): number {
  q = flush(q);
  p = flush(p);
  const top = deg < maxDeg ? deg + 1 : maxDeg;
  if (top > deg) poly[top] = flush(poly[deg]! * p);
  for (let d = deg; d >= 1; d--) poly[d] = flush(poly[d]! * q + poly[d - 1]! * p);
  poly[0] = flush(poly[0]! * q);
  return top;
}

/**
 * rows[to..to+top] = rows[from..from+top] * (q + p z), truncated at degree `top` (q and p already flushed), with each
 * coefficient flushed; the row read is kept in a register (prev) rather than loaded twice.
 */
function rowTimesFactor(rows: Float64Array, from: number, to: number, top: number, q: number, p: number): void {
  let prev = rows[from]!;
  let v = prev * q;
  rows[to] = v < TINY ? 0 : v;
  for (let d = 1; d <= top; d++) {
    const cur = rows[from + d]!;
    v = cur * q + prev * p;
    rows[to + d] = v < TINY ? 0 : v;
    prev = cur;
  }
}

/** [z^d] of a(z) b(z), reading a and b up to degree d. */
export function coefficientOfProduct(a: Float64Array, aOff: number, b: Float64Array, bOff: number, d: number): number {
  let s = 0;
  for (let x = 0; x <= d; x++) s += a[aOff + x]! * b[bOff + d - x]!;
  return s;
}

/**
 * Prefix and suffix products over the "query" factors: pre row a = base * f_0 * ... * f_{a-1},
 * suf row a = f_a * ... * f_{m-1}, each truncated at degree D, stored row-major with stride D + 1.
 * Then base * prod_{b != a} f_b = pre row a times suf row a + 1, read one coefficient at a time.
 */
export class PrefixSuffix {
  readonly stride: number;
  pre: Float64Array;
  suf: Float64Array;
  private readonly rowTop: Int32Array;
  constructor(
    readonly m: number,
    readonly D: number,
  ) {
    this.stride = D + 1;
    this.pre = new Float64Array((m + 1) * this.stride);
    this.suf = new Float64Array((m + 1) * this.stride);
    this.rowTop = new Int32Array(m + 1);
  }

  /**
   * base: polynomial of degree <= D (length >= D + 1); q, p: the m query factors.
   *
   * `need` (optional): need[a] = the highest degree `without(a, .)` will be asked for. Suffix row b then only carries
   * degrees up to max_{a < b} need[a] (a truncated product's low coefficients do not depend on its high ones), which
   * halves the suffix work when query a asks for degree a, as a slate's shown items do; coefficients above that are
   * left unspecified and must not be read.
   */
  build(base: Float64Array, q: ArrayLike<number>, p: ArrayLike<number>, need?: ArrayLike<number>): void {
    const { m, D, stride, pre, suf } = this;
    for (let d = 0; d <= D; d++) pre[d] = base[d]!;
    // Prefix rows 1..m-1 (row m, the product of every factor, is never read).
    for (let a = 0; a + 1 < m; a++) rowTimesFactor(pre, a * stride, (a + 1) * stride, D, flush(q[a]!), flush(p[a]!));
    // rowTop[b] = degree kept in suffix row b = max_{a < b} need[a] (D without `need`); row m is the constant 1.
    const rowTop = this.rowTop;
    rowTop[0] = 0;
    for (let b = 1; b <= m; b++) rowTop[b] = need ? Math.min(D, Math.max(rowTop[b - 1]!, need[b - 1]!)) : D;
    const sm = m * stride;
    suf[sm] = 1;
    for (let d = 1; d <= rowTop[m]!; d++) suf[sm + d] = 0;
    for (let a = m - 1; a >= 0; a--) rowTimesFactor(suf, (a + 1) * stride, a * stride, rowTop[a]!, flush(q[a]!), flush(p[a]!));
  }

  /** P(exactly d of (base events and query events other than a)). */
  without(a: number, d: number): number {
    return coefficientOfProduct(this.pre, a * this.stride, this.suf, (a + 1) * this.stride, d);
  }
}
