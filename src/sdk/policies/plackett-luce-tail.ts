/**
 * The light items of the exponential-race integrand (plackett-luce.ts) in closed form from their weight moments, with
 * an a-posteriori error bound.
 *
 * At time t the not-shown ("bulk") items enter the integrand through the truncated Poisson-binomial polynomial
 *
 *     B_t(z) = prod_l (e^{-x_l} + (1 - e^{-x_l}) z),   x_l = w_l t,   truncated at degree D = slateSize - 1.
 *
 * Multiplying out every factor costs O(n D) per quadrature node. For a set L of light items (all x_l <= X) the same
 * product follows from a few numbers per node instead. Write each factor as e^{-x} (1 + r z), r = e^x - 1, and take
 * logarithms (formal power series in z, so truncation at degree D is exact):
 *
 *     log prod_{l in L} (...) = -y_1 + sum_{m=1..D} lambda_m z^m,
 *     lambda_m = ((-1)^{m+1} / m) sum_l r_l^m,          y_c = sum_l x_l^c = t^c sum_l w_l^c,
 *
 * and expand (e^x - 1)^m = sum_{c >= m} kappa_{m,c} x^c with kappa_{m,c} = m! S(c, m) / c! (S: Stirling numbers of
 * the second kind; Graham, Knuth & Patashnik, "Concrete Mathematics", 2nd ed., eq. 7.49), so that
 *
 *     lambda_m ~= ((-1)^{m+1} / m) sum_{c=m..C} kappa_{m,c} y_c        (C = tailTerms(D))
 *
 * needs only the power moments sum_l w_l^c, computed once per call. The polynomial itself is then exp of that series,
 * P_0 = e^{-y_1}, P_d = (1/d) sum_{m=1..d} m lambda_m P_{d-m} (the power-series exponential recurrence; Knuth, TAOCP
 * vol. 2, 4.7), O(D^2) per node. This is the moment (cumulant) route to the Poisson-binomial distribution; see
 * Hong 2013, "On computing the distribution function for the Poisson binomial distribution", Comput. Stat. Data Anal. 59.
 *
 * Error bound (checked at every node; a bucket that fails it is multiplied out exactly instead):
 * - truncation: kappa_{m,c} <= m^c / c! (m! S(c, m) counts surjections, at most m^c maps), and x_l^c <= X^{c-m} x_l^m,
 *   so |delta lambda_m| <= (y_m / m) rho_m, rho_m = X^{-m} sum_{c > C} (m X)^c / c!
 *   <= m^{C+1} X^{C+1-m} / ((C+1)! (1 - m X / (C+2)));
 * - the recurrence alternates in sign, so rounding is amplified where a few items dominate; the relative error of P_d
 *   is bounded by err_d = [sum_m m (|delta lambda_m| + |lambda_m| err_{d-m}) P_{d-m} + 4 (d+1) u sum_m m |lambda_m|
 *   P_{d-m}] / (d P_d), to first order (u = 2^-53).
 * A tail is used only where err_d <= tolerance for every degree (default 1e-12, far below the quadrature's own error);
 * coefficients below 1e-20 (probabilities nobody logs) may carry an absolute error of up to 1e-20 instead.
 *
 * Items are bucketed by weight octave (bucket b holds w in [2^-b, 2^{1-b}) times the largest bulk weight), so that as t
 * grows the heaviest buckets move one by one into the exact product while the rest stay in the tail: the light set is
 * a suffix of buckets, and its moments are suffix sums, M_{b,c} = S_{b,c} + 2^-c M_{b+1,c} in units of the bucket's
 * upper bound U_b, so that y_c = (U_b t)^c M_{b,c} neither overflows nor underflows.
 */

import { TailKernel } from './wasm/index.js';

/** Most Taylor terms of (e^x - 1)^m kept per tail coefficient; a slate of k = D + 1 uses C = min(48, max(16, D + 7)). */
export const TAIL_TERMS_MAX = 48;
/** Taylor terms for a slate of k = D + 1 positions. */
export function tailTerms(D: number): number {
  return Math.min(TAIL_TERMS_MAX, Math.max(16, D + 7));
}
/** Buckets of weight octaves; the last holds everything lighter. */
const BUCKETS = 64;
const U = 2 ** -53;
const TINY = 1e-250;
const TINY_P = 1e-20;

/** lambdaCoef[m * (CM+1) + c] = (-1)^{m+1} kappa_{m,c} / m for 1 <= m <= c <= CM. */
const CM = TAIL_TERMS_MAX;
const lambdaCoef = (() => {
  // kappa_{m,c} = m! S(c,m) / c!: kappa_{m,c} = (m / c) (kappa_{m,c-1} + kappa_{m-1,c-1}), kappa_{0,0} = 1.
  const S = CM + 1;
  const kap = new Float64Array(S * S);
  kap[0] = 1;
  for (let c = 1; c <= CM; c++) for (let m = 1; m <= c; m++) kap[m * S + c] = (m / c) * (kap[m * S + c - 1]! + kap[(m - 1) * S + c - 1]!);
  const out = new Float64Array(S * S);
  for (let m = 1; m <= CM; m++) for (let c = m; c <= CM; c++) out[m * S + c] = ((m % 2 === 1 ? 1 : -1) * kap[m * S + c]!) / m;
  return out;
})();
/** recip[m] = 1 / m: the hot loops below multiply instead of dividing. */
const recip = (() => {
  const f = new Float64Array(CM + 3);
  for (let m = 1; m < f.length; m++) f[m] = 1 / m;
  return f;
})();
/** invFact[c] = 1 / c! */
const invFact = (() => {
  const f = new Float64Array(CM + 2);
  f[0] = 1;
  for (let c = 1; c <= CM + 1; c++) f[c] = f[c - 1]! / c;
  return f;
})();

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // little-endian: high word second

/** Octave bucket of v in (0, 1]: b with v in [2^-b, 2^{1-b}), capped at BUCKETS - 1. */
function bucketOf(v: number): number {
  f64[0] = v;
  const b = 1023 - ((u32[HI]! >>> 20) & 0x7ff);
  return b < BUCKETS - 1 ? b : BUCKETS - 1;
}

/**
 * Workspace for one integral: the bulk weights sorted by bucket (heaviest bucket first) and the suffix moments.
 * Reused across calls (grows, never shrinks), so a decision allocates nothing here.
 */
export class LightTail {
  /** Bulk weights in bucket order; the exact product takes a prefix [0, bucketStart[hb]). */
  sorted = new Float64Array(0);
  /** bucketStart[b] = index in `sorted` of bucket b's first item; bucketStart[nBuckets] = nb. */
  bucketStart = new Int32Array(BUCKETS + 1);
  nBuckets = 0;
  private upper = new Float64Array(BUCKETS);
  /** Suffix moments, row b: M_{b,c} for c = 1..C at [b * C + c - 1]. */
  private moments = new Float64Array(BUCKETS * CM);
  private readonly count = new Int32Array(BUCKETS);
  private bucket = new Uint8Array(0);
  private readonly y = new Float64Array(CM + 1);
  private readonly lam = new Float64Array(CM + 1);
  private readonly dlam = new Float64Array(CM + 1);
  private readonly err = new Float64Array(CM + 1);
  private readonly ml = new Float64Array(CM + 1);
  private readonly mal = new Float64Array(CM + 1);
  private readonly mdl = new Float64Array(CM + 1);
  /** Taylor terms of this build, and m^{C+1} / (C+1)! for m = 0..C. */
  private C = 0;
  private readonly mpow = new Float64Array(CM + 1);
  /** buildBulk's gathered bulk and query mask (TypeScript build only). */
  private bulk = new Float64Array(0);
  private isQuery = new Uint8Array(0);
  /**
   * The WebAssembly twins of build, buildBulk and evaluate (wasm/kernels.wat), in whose memory the integral also keeps
   * the heavy items' chains and the leave-one-out products; null for the TypeScript code below, which is their
   * reference in the tests and runs where WebAssembly with SIMD does not.
   */
  readonly kernel: TailKernel | null;

  /** `wasm`: false for the TypeScript build even where the WebAssembly one can run. */
  constructor(options: { wasm?: boolean } = {}) {
    this.kernel = options.wasm === false ? null : TailKernel.create(BUCKETS, CM);
    if (this.kernel) {
      this.adoptKernelViews();
      this.kernel.coef.set(lambdaCoef);
      this.kernel.recip.set(recip);
    }
  }

  /** Whether the kernels run in WebAssembly. */
  get usesWasm(): boolean {
    return this.kernel !== null;
  }

  private adoptKernelViews(): void {
    const k = this.kernel!;
    this.sorted = k.sorted;
    this.bucketStart = k.bucketStart;
    this.upper = k.upper;
    this.moments = k.moments;
  }

  /**
   * build of the bulk of a policy's n weights w: those above wMin of the items not among `items` (distinct), in index
   * order (gatherBulk). Returns their number; `sorted` holds them in bucket order.
   */
  buildBulk(w: Float64Array, n: number, items: ArrayLike<number>, wMin: number, D: number): number {
    const k = this.kernel;
    if (k) {
      this.setTerms(D);
      k.ensure(n);
      this.adoptKernelViews();
      k.full.set(w.subarray(0, n));
      for (let a = 0; a < items.length; a++) k.queries[a] = items[a]!;
      this.nBuckets = k.buildFrom(n, items.length, wMin, this.C);
      return k.bulkCount;
    }
    if (this.bulk.length < n) (this.bulk = new Float64Array(n)), (this.isQuery = new Uint8Array(n));
    const { nb, max } = gatherBulk(w, n, items, wMin, this.isQuery, this.bulk);
    this.build(this.bulk, nb, D, max);
    return nb;
  }

  /** C for slates of D + 1 positions, and the truncation constants that go with it. */
  private setTerms(D: number): void {
    const C = tailTerms(D);
    if (C !== this.C) {
      this.C = C;
      for (let m = 0; m <= C; m++) this.mpow[m] = m ** (C + 1) * invFact[C + 1]!;
      this.kernel?.mpow.set(this.mpow);
    }
  }

  /**
   * Sorts the nb bulk weights bw (all > 0) into buckets and computes the suffix moments for slates of D + 1. `max`:
   * the largest of them, when the caller has it.
   */
  build(bw: Float64Array, nb: number, D: number, max?: number): void {
    this.setTerms(D);
    const C = this.C;
    let wmax = max ?? 0;
    if (max === undefined) for (let b = 0; b < nb; b++) if (bw[b]! > wmax) wmax = bw[b]!;
    if (this.kernel) {
      this.kernel.ensure(nb);
      this.adoptKernelViews();
      this.kernel.input.set(bw.subarray(0, nb));
      this.nBuckets = this.kernel.build(nb, C, wmax);
      return;
    }
    if (this.sorted.length < nb) this.sorted = new Float64Array(Math.max(nb, 2 * this.sorted.length));
    const { count, bucketStart, upper, moments, sorted } = this;
    if (this.bucket.length < nb) this.bucket = new Uint8Array(Math.max(nb, 2 * this.bucket.length));
    const bucket = this.bucket;
    count.fill(0);
    let last = 0;
    const inv = 1 / wmax;
    for (let b = 0; b < nb; b++) {
      const k = bucketOf(bw[b]! * inv);
      bucket[b] = k;
      count[k]!++;
      if (k > last) last = k;
    }
    this.nBuckets = nb > 0 ? last + 1 : 0;
    bucketStart[0] = 0;
    for (let k = 0; k < this.nBuckets; k++) {
      bucketStart[k + 1] = bucketStart[k]! + count[k]!;
      upper[k] = wmax * 2 ** (1 - k);
    }
    // counting sort (count[] reused as the fill cursor)
    for (let k = 0; k < this.nBuckets; k++) count[k] = bucketStart[k]!;
    for (let b = 0; b < nb; b++) sorted[count[bucket[b]!]!++] = bw[b]!;
    // per-bucket moments in units of the bucket's upper bound: v in [1/2, 1) (smaller only in the last bucket)
    moments.fill(0, 0, this.nBuckets * C);
    for (let k = 0; k < this.nBuckets; k++) {
      const inv = 1 / upper[k]!, row = k * C, end = bucketStart[k + 1]!;
      let i = bucketStart[k]!;
      if (k < BUCKETS - 1) {
        // v >= 1/2, so v^C >= 2^-C: no underflow. Eight moments at a time, summed in registers over the bucket's items
        // (one pass over the items per block of eight), then stored once.
        for (let c0 = 0; c0 < C; c0 += 8) {
          let s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0, s8 = 0;
          for (let j = i; j < end; j++) {
            const v = sorted[j]! * inv;
            const v2 = v * v, v4 = v2 * v2;
            let b = 1; // v^c0
            for (let e = 0; e < c0; e += 8) b *= v4 * v4;
            const b2 = b * v2, b4 = b * v4, b6 = b2 * v4;
            s1 += b * v;
            s2 += b2;
            s3 += b2 * v;
            s4 += b4;
            s5 += b4 * v;
            s6 += b6;
            s7 += b6 * v;
            s8 += b4 * v4;
          }
          const o = row + c0, left = C - c0;
          moments[o] = s1;
          if (left > 1) moments[o + 1] = s2;
          if (left > 2) moments[o + 2] = s3;
          if (left > 3) moments[o + 3] = s4;
          if (left > 4) moments[o + 4] = s5;
          if (left > 5) moments[o + 5] = s6;
          if (left > 6) moments[o + 6] = s7;
          if (left > 7) moments[o + 7] = s8;
        }
        i = end;
      }
      for (; i < end; i++) {
        const v = sorted[i]! * inv;
        let p = v;
        for (let c = 0; c < C; c++) {
          moments[row + c] = moments[row + c]! + p;
          p *= v;
          if (p < TINY) break;
        }
      }
    }
    // suffix sums: M_b = S_b + 2^-c M_{b+1}
    for (let k = this.nBuckets - 2; k >= 0; k--) {
      const row = k * C, next = row + C;
      let s = 0.5;
      for (let c = 0; c < C; c++, s *= 0.5) {
        const v = moments[row + c]! + s * moments[next + c]!;
        moments[row + c] = v < TINY ? 0 : v;
      }
    }
  }

  /**
   * The truncated polynomial of the buckets hb.. at time t into out[0..D], if its error bound (relative, per
   * coefficient) is within tol; otherwise returns false and leaves out unspecified.
   */
  evaluate(t: number, hb: number, D: number, tol: number, out: Float64Array): boolean {
    const k = this.kernel;
    if (k) {
      if (!k.evaluate(t, hb, D, tol, this.C)) return false;
      const poly = k.poly;
      for (let d = 0; d <= D; d++) out[d] = poly[d]!;
      return true;
    }
    const { y, lam, dlam, err, moments, mpow, C } = this;
    const X = this.upper[hb]! * t;
    if (D >= C || D * X >= C + 2) return false;
    const row = hb * C;
    let pw = 1;
    let top = 0;
    for (let c = 1; c <= C; c++) {
      pw *= X;
      if (pw < TINY) break;
      y[c] = pw * moments[row + c - 1]!;
      top = c;
    }
    const y1 = top >= 1 ? y[1]! : 0;
    if (y1 > 700) return false;
    // rho_m = m^{C+1} X^{C+1-m} / (C+1)! / (1 - m X / (C+2)), from m = D down (X^{C+1-m} by repeated products)
    let xp = 1;
    for (let c = 0; c < C + 1 - D && xp > 0; c++) {
      xp *= X;
      if (xp < TINY) xp = 0;
    }
    const xc = X * recip[C + 2]!;
    for (let m = D; m >= 1; m--) {
      let s = 0;
      const lo = m * (CM + 1);
      for (let c = m; c <= top; c++) s += lambdaCoef[lo + c]! * y[c]!;
      lam[m] = s;
      const ym = m <= top ? y[m]! : 0;
      dlam[m] = xp > 0 ? (ym * recip[m]! * mpow[m]! * xp) / (1 - m * xc) : 0;
      xp *= X;
      if (xp < TINY) xp = 0;
    }
    out[0] = Math.exp(-y1);
    err[0] = U * (2 + y1);
    if (out[0]! < TINY_P) return false;
    // m lambda_m, m |lambda_m| and m |delta lambda_m|, once for every degree
    const ml = this.ml, mal = this.mal, mdl = this.mdl;
    for (let m = 1; m <= D; m++) {
      const l = m * lam[m]!;
      ml[m] = l;
      mal[m] = Math.abs(l);
      mdl[m] = m * dlam[m]!;
    }
    for (let d = 1; d <= D; d++) {
      let v = 0, a = 0, e = 0;
      for (let m = 1; m <= d; m++) {
        const pm = out[d - m]!;
        v += ml[m]! * pm;
        const al = mal[m]! * pm;
        a += al;
        e += mdl[m]! * pm + al * err[d - m]!;
      }
      const invD = recip[d]!;
      v *= invD;
      const abs = (e + 4 * (d + 1) * U * a) * invD;
      if (v < TINY_P) {
        if (abs > TINY_P) return false;
        out[d] = 0;
        err[d] = 0;
        continue;
      }
      const rel = abs / v;
      if (rel > tol) return false;
      out[d] = v;
      err[d] = rel;
    }
    return true;
  }
}

/**
 * The bulk of the exponential-race integral (plackett-luce.ts): out[0..nb) = w[i] for the i < n not among `items`
 * (distinct) with w[i] > wMin, in index order; returns nb and their largest. isQuery: at least n bytes, all 0, and
 * left so.
 */
export function gatherBulk(w: Float64Array, n: number, items: ArrayLike<number>, wMin: number, isQuery: Uint8Array, out: Float64Array): { nb: number; max: number } {
  for (let a = 0; a < items.length; a++) isQuery[items[a]!] = 1;
  let nb = 0, max = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    if (!isQuery[i] && wi > wMin) {
      out[nb++] = wi;
      if (wi > max) max = wi;
    }
  }
  for (let a = 0; a < items.length; a++) isQuery[items[a]!] = 0;
  return { nb, max };
}
