/**
 * The bootstrap's inner loop, self-contained on purpose: no imports and no module-level values, only the functions
 * below, which reference each other and JavaScript built-ins. That lets `bootstrap.ts` run the very same code on
 * worker threads by shipping the functions' source text (`RESAMPLE_KERNEL_FUNCTIONS`), so the threaded path is the
 * tested path. The innermost loop, drawing positions and adding up rows, is resample.wat's `gatherBlock` or its twin
 * here. See bootstrap.ts for the algorithm.
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

/**
 * The remainder of Stirling's series, ln k! - ((k + 1/2) ln(k + 1) - (k + 1) + ln(2 pi) / 2): exact (from kLogFactorial)
 * for k <= 9, else the series 1/(12 (k+1)) - 1/(360 (k+1)^3) + 1/(1260 (k+1)^5), whose next term is below 3e-11.
 */
export function kStirlingTail(k: number): number {
  if (k <= 9) return kLogFactorial(k) - ((k + 0.5) * Math.log(k + 1) - (k + 1) + 0.5 * Math.log(2 * Math.PI));
  const k1 = k + 1;
  const k1sq = k1 * k1;
  return (1 / 12 - (1 / 360 - 1 / 1260 / k1sq) / k1sq) / k1;
}

/**
 * Binomial(N, p) for N p >= 10 and p <= 1/2 by transformed rejection with squeeze, BTRS (Hormann 1993, "The
 * generation of binomial random variates", J. Statist. Comput. Simul. 46, 101-110): a candidate k from a pair of
 * uniforms is accepted at once in the box where the hat is tight (about 80% of the time for large N p), else by
 * comparing the log of the hat with the log of the pmf ratio f(k) / f(mode), written with kStirlingTail. The constants
 * are the paper's (as in TensorFlow's random_binomial_op).
 */
export function kBtrs(N: number, p: number, st: Int32Array, o: number): number {
  const spq = Math.sqrt(N * p * (1 - p));
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = N * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const r = p / (1 - p);
  const alpha = (2.83 + 5.1 / b) * spq;
  const m = Math.floor((N + 1) * p);
  for (;;) {
    const u = kUniform(st, o) - 0.5;
    let v = kUniform(st, o);
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || k > N) continue;
    v = Math.log((v * alpha) / (a / (us * us) + b));
    const bound =
      (m + 0.5) * Math.log((m + 1) / (r * (N - m + 1))) +
      (N + 1) * Math.log((N - m + 1) / (N - k + 1)) +
      (k + 0.5) * Math.log((r * (N - k + 1)) / (k + 1)) +
      kStirlingTail(m) +
      kStirlingTail(N - m) -
      kStirlingTail(k) -
      kStirlingTail(N - k);
    if (v <= bound) return k;
  }
}

/**
 * Binomial(N, p): by BTRS (kBtrs, on min(p, 1 - p)) when N min(p, 1 - p) >= 10, else by inversion from the mode
 * (Kemp 1986; the algorithm of internal/binomial.ts).
 */
export function kBinomial(N: number, p: number, st: Int32Array, o: number): number {
  if (N <= 0 || p <= 0) return 0;
  if (p >= 1) return N;
  if (N * p >= 10 && N * (1 - p) >= 10) return p <= 0.5 ? kBtrs(N, p, st, o) : N - kBtrs(N, 1 - p, st, o);
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
 * The TypeScript twin of resample.wat's gatherBlock, on the same memory (F and I view one buffer; every pointer is a
 * byte offset into it): for r < group, resample r draws I[(counts + r countStride) / 4] positions among the `size` rows
 * of the panel block at `panel` (S pairs of doubles per row) and adds the sum of the rows it drew to the 2S doubles at
 * out + r outStride. A full block (size = mask + 1 <= 2^10) takes three positions from each random word, in three
 * sets of accumulators, and the draws left over one per word into the first set; a partial block one per word,
 * floor(u * size / 2^32), into the first set. Then out += (first + second) + third, column by column. These are
 * the WebAssembly kernel's additions in its order (a SIMD lane adds as a scalar does), so the sums agree bit for bit.
 */
export function kGatherBlockTwin(
  F: Float64Array,
  I: Int32Array,
  panel: number,
  S: number,
  size: number,
  mask: number,
  st: number,
  counts: number,
  countStride: number,
  group: number,
  out: number,
  outStride: number,
): void {
  const w = 2 * S;
  const acc = new Float64Array(3 * w);
  const full = size === mask + 1;
  const base = panel / 8;
  const o = st >> 2;
  for (let r = 0; r < group; r++) {
    const m = I[(counts + r * countStride) >> 2]!;
    acc.fill(0);
    let k = 0;
    if (full) {
      for (; k + 2 < m; k += 3) {
        const res = kNext(I, o);
        const p0 = base + (res & mask) * w;
        const p1 = base + ((res >>> 10) & mask) * w;
        const p2 = base + ((res >>> 20) & mask) * w;
        for (let j = 0; j < w; j++) {
          acc[j] = acc[j]! + F[p0 + j]!;
          acc[w + j] = acc[w + j]! + F[p1 + j]!;
          acc[2 * w + j] = acc[2 * w + j]! + F[p2 + j]!;
        }
      }
    }
    for (; k < m; k++) {
      const res = kNext(I, o);
      const row = full ? res & mask : Math.floor(((res >>> 0) * size) / 4294967296);
      const p0 = base + row * w;
      for (let j = 0; j < w; j++) acc[j] = acc[j]! + F[p0 + j]!;
    }
    const q = (out + r * outStride) / 8;
    for (let j = 0; j < w; j++) F[q + j] = F[q + j]! + (acc[j]! + acc[w + j]! + acc[2 * w + j]!);
  }
}

/**
 * resample.wat's gatherBlock, or kGatherBlockTwin on a memory: the draws of one block for a group of resamples (see
 * kGatherBlockTwin for the arguments, all byte offsets into the kernel's memory but the sizes).
 */
export type GatherBlock = (panel: number, S: number, size: number, mask: number, st: number, counts: number, countStride: number, group: number, out: number, outStride: number) => void;

/** Where the kernel's arrays sit in its memory (byte offsets) and the shapes it works on. */
export interface KernelLayout {
  /** Rounds, columns, resamples, rows per block as a power of two, resamples per group. */
  n: number;
  J: number;
  nResamples: number;
  blockBits: number;
  groupSize: number;
  /** Per panel: its first column, its columns (<= 8), its pairs per row S = ceil(columns / 2) and its byte offset. */
  panelFirst: number[];
  panelCols: number[];
  panelS: number[];
  panelAt: number[];
  /** Each thread's scratch: thread t's starts at t * scratchBytes (random state, block counts, the group's sums). */
  scratchBytes: number;
}

/** The scratch of thread t: its random state, its block counts (resample-major) and its group's sums (8 per panel). */
export function kScratch(L: KernelLayout, t: number): { st: number; counts: number; sums: number } {
  const nBlocks = Math.ceil(L.n / 2 ** L.blockBits);
  const st = t * L.scratchBytes;
  const counts = st + 16;
  const sums = counts + 16 * Math.ceil((4 * L.groupSize * nBlocks) / 16);
  return { st, counts, sums };
}

/**
 * Resamples of groups [firstGroup, lastGroup): group g holds resamples g * groupSize .. min((g+1) * groupSize, R) - 1
 * and draws from its own random state states[4g..4g+3], so the result does not depend on how groups are split over
 * threads. For each resample r and column j, out[r * J + j] = sum_i c_ri column_j[i], with (c_r1..c_rn) ~
 * Multinomial(n; 1/n, ..., 1/n): first how many of each resample's n draws fall in each block (conditional binomials,
 * which is exactly the multinomial), then, block by block and resample by resample, the positions inside the block
 * (`gatherBlock`: resample.wat's or its twin's). Every panel replays the same draws from the same state.
 */
export function kResampleGroups(
  gatherBlock: GatherBlock,
  F: Float64Array,
  I: Int32Array,
  L: KernelLayout,
  thread: number,
  states: Int32Array,
  firstGroup: number,
  lastGroup: number,
  out: Float64Array,
): void {
  const { n, J, nResamples, blockBits, groupSize } = L;
  const bs = 2 ** blockBits;
  const mask = bs - 1;
  const nBlocks = Math.ceil(n / bs);
  const P = L.panelS.length;
  const { st, counts, sums } = kScratch(L, thread);
  const o = st >> 2;
  const c0 = counts >> 2;
  for (let g = firstGroup; g < lastGroup; g++) {
    const r0 = g * groupSize;
    const group = Math.min(groupSize, nResamples - r0);
    for (let k = 0; k < 4; k++) I[o + k] = states[4 * g + k]!;
    for (let r = 0; r < group; r++) {
      let remaining = n;
      let remainingRows = n;
      for (let b = 0; b < nBlocks - 1; b++) {
        const c = kBinomial(remaining, bs / remainingRows, I, o);
        I[c0 + r * nBlocks + b] = c;
        remaining -= c;
        remainingRows -= bs;
      }
      I[c0 + r * nBlocks + nBlocks - 1] = remaining;
    }
    const s0 = I[o]!, s1 = I[o + 1]!, s2 = I[o + 2]!, s3 = I[o + 3]!;
    F.fill(0, sums / 8, sums / 8 + 8 * P * group);
    for (let p = 0; p < P; p++) {
      I[o] = s0;
      I[o + 1] = s1;
      I[o + 2] = s2;
      I[o + 3] = s3;
      const S = L.panelS[p]!;
      const row = 16 * S;
      for (let b = 0; b < nBlocks; b++) {
        const size = Math.min(bs, n - b * bs);
        gatherBlock(L.panelAt[p]! + b * bs * row, S, size, mask, st, counts + 4 * b, 4 * nBlocks, group, sums + 64 * p, 64 * P);
      }
    }
    for (let r = 0; r < group; r++) {
      for (let p = 0; p < P; p++) {
        const from = sums / 8 + 8 * (r * P + p);
        const to = (r0 + r) * J + L.panelFirst[p]!;
        for (let j = 0; j < L.panelCols[p]!; j++) out[to + j] = F[from + j]!;
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
  gatherBlock: GatherBlock,
  F: Float64Array,
  I: Int32Array,
  L: KernelLayout,
  thread: number,
  states: Int32Array,
  status: Int32Array,
  first: number,
  last: number,
  step: number,
  out: Float64Array,
): void {
  for (let g = step > 0 ? first : last - 1; step > 0 ? g < last : g >= first; g += step) {
    if (Atomics.compareExchange(status, g, 0, 1) !== 0) continue;
    kResampleGroups(gatherBlock, F, I, L, thread, states, g, g + 1, out);
    Atomics.store(status, g, 2);
  }
}

/** Every function above, for shipping to worker threads (order irrelevant: function declarations are hoisted). */
export const RESAMPLE_KERNEL_FUNCTIONS = [
  kRotl,
  kNext,
  kUniform,
  kLogFactorial,
  kStirlingTail,
  kBtrs,
  kBinomial,
  kGatherBlockTwin,
  kScratch,
  kResampleGroups,
  kRunClaims,
] as const;
