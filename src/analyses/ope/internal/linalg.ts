/** Small dense symmetric positive-definite linear algebra (row-major p x p), for Newton steps of the reward model. */

/**
 * Cholesky factorisation A = L L^T in place (L in the lower triangle, the upper triangle left as is).
 * Returns false when A is not numerically positive definite.
 */
export function choleskyInPlace(a: Float64Array, p: number): boolean {
  for (let j = 0; j < p; j++) {
    let d = a[j * p + j]!;
    for (let k = 0; k < j; k++) d -= a[j * p + k]! * a[j * p + k]!;
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    a[j * p + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      let s = a[i * p + j]!;
      for (let k = 0; k < j; k++) s -= a[i * p + k]! * a[j * p + k]!;
      a[i * p + j] = s / ljj;
    }
  }
  return true;
}

/** Solves L L^T x = b in place in `b`, given the factor from `choleskyInPlace`. */
export function choleskySolveInPlace(l: Float64Array, p: number, b: Float64Array): void {
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * p + k]! * b[k]!;
    b[i] = s / l[i * p + i]!;
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < p; k++) s -= l[k * p + i]! * b[k]!;
    b[i] = s / l[i * p + i]!;
  }
}

/** Inverse of a symmetric positive-definite matrix (full symmetric input), or null if it is not positive definite. */
export function spdInverse(a: Float64Array, p: number): Float64Array | null {
  const inv = new Float64Array(p * p);
  return spdInverseInto(a, p, inv, 0, new Float64Array(p * p), new Float64Array(p)) ? inv : null;
}

/**
 * `spdInverse` without allocating (the same operations, so the same result bit for bit): writes the inverse to
 * out[o .. o + p^2), using `l` (p^2) and `col` (p) as scratch. Returns false when `a` is not positive definite.
 */
export function spdInverseInto(a: Float64Array, p: number, out: Float64Array, o: number, l: Float64Array, col: Float64Array): boolean {
  for (let k = 0; k < p * p; k++) l[k] = a[k]!;
  if (!choleskyInPlace(l, p)) return false;
  for (let j = 0; j < p; j++) {
    col.fill(0);
    col[j] = 1;
    choleskySolveInPlace(l, p, col);
    for (let i = 0; i < p; i++) out[o + i * p + j] = col[i]!;
  }
  return true;
}
