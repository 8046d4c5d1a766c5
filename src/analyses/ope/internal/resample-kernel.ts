/**
 * The bootstrap's inner loop, self-contained on purpose: no imports and no module-level values, only the functions
 * below, which reference each other and JavaScript built-ins. That lets `bootstrap.ts` run the very same code on
 * worker threads by shipping the functions' source text (`RESAMPLE_KERNEL_FUNCTIONS`), so the threaded path is the
 * tested path. See bootstrap.ts for the algorithm.
 *
 * Random state: xoshiro128** (Blackman & Vigna 2021) in an Int32Array of 4 words per group of resamples.
 */

/** Rotate a 32-bit word left. */
export function kRotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Next xoshiro128** output (signed int32; `>>> 0` for unsigned) of the state st[o..o+3]. */
export function kNext(st: Int32Array, o: number): number {
  const a = st[o]!;
  const b = st[o + 1]!;
  const c = st[o + 2]! ^ a;
  const d = st[o + 3]! ^ b;
  const result = Math.imul(kRotl(Math.imul(b, 5), 7), 9);
  st[o] = a ^ d;
  st[o + 1] = b ^ c;
  st[o + 2] = c ^ (b << 9);
  st[o + 3] = kRotl(d, 11);
  return result;
}

/** Uniform on [0, 1) with 53 bits. */
export function kUniform(st: Int32Array, o: number): number {
  const hi = kNext(st, o) >>> 5;
  const lo = kNext(st, o) >>> 6;
  return (hi * 67108864 + lo) / 9007199254740992;
}

/** ln k! (direct sum below 256, Stirling series above; A&S 6.1.41). */
export function kLogFactorial(k: number): number {
  if (k < 256) {
    let s = 0;
    for (let j = 2; j <= k; j++) s += Math.log(j);
    return s;
  }
  const inv = 1 / k;
  const inv2 = inv * inv;
  return (k + 0.5) * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260));
}

/** Binomial(N, p) by inversion from the mode (Kemp 1986); same algorithm as internal/binomial.ts. */
export function kBinomial(N: number, p: number, st: Int32Array, o: number): number {
  if (N <= 0 || p <= 0) return 0;
  if (p >= 1) return N;
  const mode = Math.min(N, Math.floor((N + 1) * p));
  const pMode = Math.exp(
    kLogFactorial(N) - kLogFactorial(mode) - kLogFactorial(N - mode) + mode * Math.log(p) + (N - mode) * Math.log1p(-p),
  );
  const odds = p / (1 - p);
  for (;;) {
    let u = kUniform(st, o) - pMode;
    if (u < 0) return mode;
    let lo = mode;
    let hi = mode;
    let pLo = pMode;
    let pHi = pMode;
    for (;;) {
      let moved = false;
      if (hi < N && pHi > 0) {
        pHi *= ((N - hi) / (hi + 1)) * odds;
        hi++;
        u -= pHi;
        if (u < 0) return hi;
        moved = true;
      }
      if (lo > 0 && pLo > 0) {
        pLo *= lo / (N - lo + 1) / odds;
        lo--;
        u -= pLo;
        if (u < 0) return lo;
        moved = true;
      }
      if (!moved) break;
    }
  }
}

/**
 * Adds m uniform positions of a full block (mask + 1 rows, <= 2^16) to counts: three 10-bit fields of one 32-bit random
 * word each when the block has at most 2^10 rows, else its two 16-bit halves. (Every bit of xoshiro128** output is
 * uniform, so disjoint fields of one word are independent uniform positions.)
 */
export function kDrawFull(st: Int32Array, o: number, m: number, mask: number, counts: Float64Array): void {
  let a = st[o]!;
  let b = st[o + 1]!;
  let c = st[o + 2]!;
  let d = st[o + 3]!;
  let k = 0;
  if (mask < 1024) {
    for (; k + 2 < m; k += 3) {
      const res = Math.imul(kRotl(Math.imul(b, 5), 7), 9);
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = kRotl(d, 11);
      counts[res & mask]! += 1;
      counts[(res >>> 10) & mask]! += 1;
      counts[(res >>> 20) & mask]! += 1;
    }
  } else {
    for (; k + 1 < m; k += 2) {
      const res = Math.imul(kRotl(Math.imul(b, 5), 7), 9);
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = kRotl(d, 11);
      counts[res & mask]! += 1;
      counts[(res >>> 16) & mask]! += 1;
    }
  }
  st[o] = a;
  st[o + 1] = b;
  st[o + 2] = c;
  st[o + 3] = d;
  for (; k < m; k++) counts[kNext(st, o) & mask]! += 1;
}

/** Adds m uniform positions of a partial block of `size` rows to counts: floor(u * size / 2^32), one per word. */
export function kDrawPartial(st: Int32Array, o: number, m: number, size: number, counts: Float64Array): void {
  for (let k = 0; k < m; k++) counts[Math.floor(((kNext(st, o) >>> 0) * size) / 4294967296)]! += 1;
}

/** As kDrawFull / kDrawPartial, into a list of positions (for data with more than 8 dense columns). */
export function kDrawPositions(st: Int32Array, o: number, m: number, size: number, mask: number, pos: Int32Array): void {
  if (size === mask + 1) {
    let k = 0;
    if (mask < 1024) {
      for (; k + 2 < m; k += 3) {
        const res = kNext(st, o);
        pos[k] = res & mask;
        pos[k + 1] = (res >>> 10) & mask;
        pos[k + 2] = (res >>> 20) & mask;
      }
    } else {
      for (; k + 1 < m; k += 2) {
        const res = kNext(st, o);
        pos[k] = res & mask;
        pos[k + 1] = (res >>> 16) & mask;
      }
    }
    for (; k < m; k++) pos[k] = kNext(st, o) & mask;
  } else {
    for (let k = 0; k < m; k++) pos[k] = Math.floor(((kNext(st, o) >>> 0) * size) / 4294967296);
  }
}

/** sum_k cnt[idx[k]] * val[k] over k in [from, to): a sparse column's entries in one block (idx relative to it). */
export function kSparseDot(idx: Int32Array, val: Float64Array, from: number, to: number, cnt: Float64Array): number {
  let s = 0;
  for (let k = from; k < to; k++) s += cnt[idx[k]!]! * val[k]!;
  return s;
}

/**
 * out[o + j] += sum_k cnt[k] * panel[(start + k) * w + j] for j < w (a panel holds w <= 8 columns row-major), zeroing
 * cnt[0..size) as it goes. Unrolled per width: V8 keeps the accumulators in registers.
 */
export function kDot(w: number, panel: Float64Array, start: number, size: number, cnt: Float64Array, out: Float64Array, o: number): void {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let s5 = 0;
  let s6 = 0;
  let s7 = 0;
  let p = start * w;
  if (w === 1) {
    for (let k = 0; k < size; k++, p += 1) {
      const c = cnt[k]!;
      cnt[k] = 0;
      s0 += c * panel[p]!;
    }
  } else if (w === 2) {
    for (let k = 0; k < size; k++, p += 2) {
      const c = cnt[k]!;
      cnt[k] = 0;
      s0 += c * panel[p]!;
      s1 += c * panel[p + 1]!;
    }
  } else if (w === 3) {
    for (let k = 0; k < size; k++, p += 3) {
      const c = cnt[k]!;
      cnt[k] = 0;
      s0 += c * panel[p]!;
      s1 += c * panel[p + 1]!;
      s2 += c * panel[p + 2]!;
    }
  } else if (w === 4) {
    for (let k = 0; k < size; k++, p += 4) {
      const c = cnt[k]!;
      cnt[k] = 0;
      s0 += c * panel[p]!;
      s1 += c * panel[p + 1]!;
      s2 += c * panel[p + 2]!;
      s3 += c * panel[p + 3]!;
    }
  } else if (w === 5) {
    for (let k = 0; k < size; k++, p += 5) {
      const c = cnt[k]!;
      cnt[k] = 0;
      s0 += c * panel[p]!;
      s1 += c * panel[p + 1]!;
      s2 += c * panel[p + 2]!;
      s3 += c * panel[p + 3]!;
      s4 += c * panel[p + 4]!;
    }
  } else if (w === 6) {
    for (let k = 0; k < size; k++, p += 6) {
      const c = cnt[k]!;
      cnt[k] = 0;
      s0 += c * panel[p]!;
      s1 += c * panel[p + 1]!;
      s2 += c * panel[p + 2]!;
      s3 += c * panel[p + 3]!;
      s4 += c * panel[p + 4]!;
      s5 += c * panel[p + 5]!;
    }
  } else if (w === 7) {
    for (let k = 0; k < size; k++, p += 7) {
      const c = cnt[k]!;
      cnt[k] = 0;
      s0 += c * panel[p]!;
      s1 += c * panel[p + 1]!;
      s2 += c * panel[p + 2]!;
      s3 += c * panel[p + 3]!;
      s4 += c * panel[p + 4]!;
      s5 += c * panel[p + 5]!;
      s6 += c * panel[p + 6]!;
    }
  } else {
    for (let k = 0; k < size; k++, p += 8) {
      const c = cnt[k]!;
      cnt[k] = 0;
      s0 += c * panel[p]!;
      s1 += c * panel[p + 1]!;
      s2 += c * panel[p + 2]!;
      s3 += c * panel[p + 3]!;
      s4 += c * panel[p + 4]!;
      s5 += c * panel[p + 5]!;
      s6 += c * panel[p + 6]!;
      s7 += c * panel[p + 7]!;
    }
  }
  out[o] = out[o]! + s0;
  if (w > 1) out[o + 1] = out[o + 1]! + s1;
  if (w > 2) out[o + 2] = out[o + 2]! + s2;
  if (w > 3) out[o + 3] = out[o + 3]! + s3;
  if (w > 4) out[o + 4] = out[o + 4]! + s4;
  if (w > 5) out[o + 5] = out[o + 5]! + s5;
  if (w > 6) out[o + 6] = out[o + 6]! + s6;
  if (w > 7) out[o + 7] = out[o + 7]! + s7;
}

/**
 * kDot for two resamples at once (counts cnt and cnt2, outputs at o and o2), for panels of 4 to 6 columns: each row
 * of the panel is loaded once for both. Each resample's sums are accumulated in the same order as by kDot, so the
 * results are identical to two kDot calls.
 */
export function kDot2(w: number, panel: Float64Array, start: number, size: number, cnt: Float64Array, cnt2: Float64Array, out: Float64Array, o: number, o2: number): void {
  let s0 = 0;
  let t0 = 0;
  let s1 = 0;
  let t1 = 0;
  let s2 = 0;
  let t2 = 0;
  let s3 = 0;
  let t3 = 0;
  let s4 = 0;
  let t4 = 0;
  let s5 = 0;
  let t5 = 0;
  let p = start * w;
  if (w === 4) {
    for (let k = 0; k < size; k++, p += 4) {
      const c = cnt[k]!;
      const e = cnt2[k]!;
      cnt[k] = 0;
      cnt2[k] = 0;
      const x0 = panel[p]!;
      const x1 = panel[p + 1]!;
      const x2 = panel[p + 2]!;
      const x3 = panel[p + 3]!;
      s0 += c * x0;
      t0 += e * x0;
      s1 += c * x1;
      t1 += e * x1;
      s2 += c * x2;
      t2 += e * x2;
      s3 += c * x3;
      t3 += e * x3;
    }
  } else if (w === 5) {
    for (let k = 0; k < size; k++, p += 5) {
      const c = cnt[k]!;
      const e = cnt2[k]!;
      cnt[k] = 0;
      cnt2[k] = 0;
      const x0 = panel[p]!;
      const x1 = panel[p + 1]!;
      const x2 = panel[p + 2]!;
      const x3 = panel[p + 3]!;
      const x4 = panel[p + 4]!;
      s0 += c * x0;
      t0 += e * x0;
      s1 += c * x1;
      t1 += e * x1;
      s2 += c * x2;
      t2 += e * x2;
      s3 += c * x3;
      t3 += e * x3;
      s4 += c * x4;
      t4 += e * x4;
    }
  } else {
    for (let k = 0; k < size; k++, p += 6) {
      const c = cnt[k]!;
      const e = cnt2[k]!;
      cnt[k] = 0;
      cnt2[k] = 0;
      const x0 = panel[p]!;
      const x1 = panel[p + 1]!;
      const x2 = panel[p + 2]!;
      const x3 = panel[p + 3]!;
      const x4 = panel[p + 4]!;
      const x5 = panel[p + 5]!;
      s0 += c * x0;
      t0 += e * x0;
      s1 += c * x1;
      t1 += e * x1;
      s2 += c * x2;
      t2 += e * x2;
      s3 += c * x3;
      t3 += e * x3;
      s4 += c * x4;
      t4 += e * x4;
      s5 += c * x5;
      t5 += e * x5;
    }
  }
  out[o] = out[o]! + s0;
  out[o + 1] = out[o + 1]! + s1;
  out[o + 2] = out[o + 2]! + s2;
  out[o + 3] = out[o + 3]! + s3;
  if (w > 4) out[o + 4] = out[o + 4]! + s4;
  if (w > 5) out[o + 5] = out[o + 5]! + s5;
  out[o2] = out[o2]! + t0;
  out[o2 + 1] = out[o2 + 1]! + t1;
  out[o2 + 2] = out[o2 + 2]! + t2;
  out[o2 + 3] = out[o2 + 3]! + t3;
  if (w > 4) out[o2 + 4] = out[o2 + 4]! + t4;
  if (w > 5) out[o2 + 5] = out[o2 + 5]! + t5;
}

/**
 * Resamples of groups [firstGroup, lastGroup): group g holds resamples g * groupSize .. min((g+1) * groupSize, R) - 1
 * and draws from its own random state states[4g..4g+3], so the result does not depend on how groups are split over
 * threads. For each resample r and column j, out[r * J + j] = sum_i c_ri column_j[i], with (c_r1..c_rn) ~
 * Multinomial(n; 1/n, ..., 1/n). Columns 0..D-1 (D = sum of widths) are dense, stored as row-major panels of widths[p]
 * columns; columns D..J-1 are the nSparse sparse ones: entries [sPtr[s (nBlocks+1) + b], sPtr[s (nBlocks+1) + b + 1])
 * of sIdx (row offset within block b) and sVal.
 */
export function kResampleGroups(
  panels: Float64Array[],
  widths: number[],
  sIdx: Int32Array,
  sVal: Float64Array,
  sPtr: Int32Array,
  nSparse: number,
  n: number,
  blockBits: number,
  groupSize: number,
  nResamples: number,
  states: Int32Array,
  firstGroup: number,
  lastGroup: number,
  out: Float64Array,
): void {
  let D = 0;
  for (let p = 0; p < widths.length; p++) D += widths[p]!;
  const J = D + nSparse;
  const bs = 1 << blockBits;
  const mask = bs - 1;
  const nBlocks = Math.ceil(n / bs);
  const blockCounts = new Int32Array(groupSize * nBlocks);
  const counts = new Float64Array(bs);
  const counts2 = new Float64Array(bs);
  const single = panels.length <= 1;
  let pos = new Int32Array(single ? 0 : 2 * bs);
  for (let g = firstGroup; g < lastGroup; g++) {
    const so = 4 * g;
    const r0 = g * groupSize;
    const group = Math.min(groupSize, nResamples - r0);
    // How many of each resample's n draws fall in each block: conditional binomials = Multinomial(n; sizes / n).
    for (let r = 0; r < group; r++) {
      let remaining = n;
      let remainingRows = n;
      for (let b = 0; b < nBlocks - 1; b++) {
        const c = kBinomial(remaining, bs / remainingRows, states, so);
        blockCounts[r * nBlocks + b] = c;
        remaining -= c;
        remainingRows -= bs;
      }
      blockCounts[r * nBlocks + nBlocks - 1] = remaining;
    }
    for (let b = 0; b < nBlocks; b++) {
      const start = b * bs;
      const size = Math.min(bs, n - start);
      for (let r = 0; r < group; r++) {
        const m = blockCounts[r * nBlocks + b]!;
        const o = (r0 + r) * J;
        if (single) {
          if (size === bs) kDrawFull(states, so, m, mask, counts);
          else kDrawPartial(states, so, m, size, counts);
          for (let s = 0; s < nSparse; s++) {
            const q = s * (nBlocks + 1) + b;
            out[o + D + s] = out[o + D + s]! + kSparseDot(sIdx, sVal, sPtr[q]!, sPtr[q + 1]!, counts);
          }
          if (D >= 4 && D <= 6 && r + 1 < group) {
            // the next resample too (drawn after this one, as always), then one pass over the panel for both
            const m2 = blockCounts[(r + 1) * nBlocks + b]!;
            if (size === bs) kDrawFull(states, so, m2, mask, counts2);
            else kDrawPartial(states, so, m2, size, counts2);
            for (let s = 0; s < nSparse; s++) {
              const q = s * (nBlocks + 1) + b;
              out[o + J + D + s] = out[o + J + D + s]! + kSparseDot(sIdx, sVal, sPtr[q]!, sPtr[q + 1]!, counts2);
            }
            kDot2(D, panels[0]!, start, size, counts, counts2, out, o, o + J);
            r++;
            continue;
          }
          if (D > 0) kDot(D, panels[0]!, start, size, counts, out, o);
          else counts.fill(0, 0, size);
          continue;
        }
        if (pos.length < m) pos = new Int32Array(2 * m);
        kDrawPositions(states, so, m, size, mask, pos);
        let col = o;
        for (let p = 0; p < panels.length; p++) {
          for (let k = 0; k < m; k++) counts[pos[k]!]! += 1;
          if (p === 0) {
            for (let s = 0; s < nSparse; s++) {
              const q = s * (nBlocks + 1) + b;
              out[o + D + s] = out[o + D + s]! + kSparseDot(sIdx, sVal, sPtr[q]!, sPtr[q + 1]!, counts);
            }
          }
          const w = widths[p]!;
          kDot(w, panels[p]!, start, size, counts, out, col);
          col += w;
        }
      }
    }
  }
}

/**
 * Runs the groups of [first, last) that this thread claims, in increasing order (step 1) or decreasing (step -1): a
 * group is claimed by moving its status from 0 to 1 atomically and marked 2 when done, so that several threads can
 * share a range and each group runs exactly once.
 */
export function kRunClaims(
  panels: Float64Array[],
  widths: number[],
  sIdx: Int32Array,
  sVal: Float64Array,
  sPtr: Int32Array,
  nSparse: number,
  n: number,
  blockBits: number,
  groupSize: number,
  nResamples: number,
  states: Int32Array,
  status: Int32Array,
  first: number,
  last: number,
  step: number,
  out: Float64Array,
): void {
  for (let g = step > 0 ? first : last - 1; step > 0 ? g < last : g >= first; g += step) {
    if (Atomics.compareExchange(status, g, 0, 1) !== 0) continue;
    kResampleGroups(panels, widths, sIdx, sVal, sPtr, nSparse, n, blockBits, groupSize, nResamples, states, g, g + 1, out);
    Atomics.store(status, g, 2);
  }
}

/** Every function above, for shipping to worker threads (order irrelevant: function declarations are hoisted). */
export const RESAMPLE_KERNEL_FUNCTIONS = [
  kRotl,
  kNext,
  kUniform,
  kLogFactorial,
  kBinomial,
  kDrawFull,
  kDrawPartial,
  kDrawPositions,
  kSparseDot,
  kDot,
  kDot2,
  kResampleGroups,
  kRunClaims,
] as const;
