/**
 * The left tail of the exponential-race integral (plackett-luce.ts): the trapezoidal nodes below the first one, summed
 * in closed form.
 *
 * Near t = 0 the rank-j integrand w t e^{-w t} P(N = j - 1) is a power series in t from t^j on, so in s = ln t it is
 * f(s) = sum_{k >= 0} A_k e^{(j+k) s}. Fitting its first LEFT_TERMS terms to LEFT_TERMS nodes from the first (every
 * leftStride(R)-th on fine grids) and summing them over the nodes below (a geometric series each) gives the left tail
 * as a fixed weighted sum of those nodes. With
 * the first node at W t = 0.24, eight terms keep the error of the whole integral where three terms from W t = 0.04
 * kept it (tests: exact enumeration on random weight vectors), with five fewer nodes at two per octave.
 */

/** Terms of the left-tail expansion, fitted to as many nodes. */
export const LEFT_TERMS = 8;

/**
 * The fit takes every `leftStride(R)`-th node from the first. With many nodes per octave, eight consecutive ones would
 * lie so close together that fitting eight exponentials to them is ill-conditioned; strided, they span at least 1.75
 * octaves whatever R (R up to 7 fits consecutive nodes). A wider span would reach where the power series in t
 * converges slowly.
 */
export function leftStride(R: number): number {
  return Math.max(1, Math.floor(R / 4));
}

/** Cached weights: leftCache.get(R)[j]. */
const leftCache = new Map<number, Float64Array[]>();
/**
 * The left tail as a weighted sum of L = LEFT_TERMS nodes, for rank j and R nodes per octave (h = ln 2 / R), the
 * nodes x = 0..L-1 taken with stride S = leftStride(R). With z_k = e^{(j+k) h}, Z_k = z_k^S and A_k the terms' values
 * at s_0, y_x = f(s_0 + x S h) = sum_k A_k Z_k^x (x, k = 0..L-1), and the nodes left of s_0 (every node, not only every
 * S-th) sum to sum_k A_k sum_{m>=1} z_k^{-m} = sum_k A_k / (z_k - 1). That is sum_x c_x y_x, where P(Z) = sum_x c_x Z^x
 * is the polynomial of degree L - 1 with P(Z_k) = 1 / (z_k - 1): the system in y is the transposed Vandermonde system
 * of that interpolation. Interpolated in u = Z / Z_0 = e^{k S h} (Newton's divided differences, then the Newton form
 * expanded into powers of u) and scaled back, c_x = c~_x / Z_0^x. Depends on (j, R) only: computed once and cached.
 */
export function leftWeights(j: number, R: number): Float64Array {
  let byJ = leftCache.get(R);
  if (!byJ) leftCache.set(R, (byJ = []));
  const hit = byJ[j];
  if (hit) return hit;
  const L = LEFT_TERMS, h = Math.LN2 / R, S = leftStride(R);
  const u = Float64Array.from({ length: L }, (_, k) => Math.exp(k * S * h));
  const d = Float64Array.from({ length: L }, (_, k) => 1 / Math.expm1((j + k) * h));
  for (let lvl = 1; lvl < L; lvl++) for (let k = L - 1; k >= lvl; k--) d[k] = (d[k]! - d[k - 1]!) / (u[k]! - u[k - lvl]!);
  // Horner on the Newton form: P = d_0 + (u - u_0)(d_1 + (u - u_1)(d_2 + ...)), kept as monomial coefficients.
  const c = new Float64Array(L);
  c[0] = d[L - 1]!;
  for (let k = L - 2; k >= 0; k--) {
    // c <- c * (u - u_k) + d_k
    for (let x = L - 1; x >= 1; x--) c[x] = c[x - 1]! - u[k]! * c[x]!;
    c[0] = d[k]! - u[k]! * c[0]!;
  }
  const Z0 = Math.exp(S * j * h);
  let scale = 1;
  for (let x = 0; x < L; x++, scale /= Z0) c[x] = c[x]! * scale;
  byJ[j] = c;
  return c;
}
