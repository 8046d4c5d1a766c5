/**
 * The WebAssembly kernels (kernels.wat, compiled into kernels.ts by scripts/build-wasm.js) and their memory layouts.
 * Each kernel has a TypeScript twin, which is its reference in the tests and runs wherever WebAssembly with 128-bit
 * SIMD is not available.
 */
import { KERNELS_WASM_BASE64 } from './kernels.js';

/** The part of the WebAssembly API used here (the project's TypeScript libraries do not declare it: no DOM lib). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
  validate(bytes: Uint8Array): boolean;
}
const WASM = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface KernelExports {
  memory: WasmMemory;
  tailEvaluate(t: number, hb: number, D: number, tol: number, C: number, cm: number, upper: number, mom: number, coef: number, recip: number, mpow: number, scratch: number, out: number): number;
  foldBulk(base: number, D: number, cq: number, cp: number, nb: number, deg0: number): void;
  leaveOneOut(base: number, D: number, q: number, p: number, m: number, need: number, pre: number, suf: number, rowTop: number, out: number, every: number): number;
  tailBuildFrom(full: number, n: number, qidx: number, m: number, mask: number, wMin: number, inPtr: number, sorted: number, bucket: number, count: number, start: number, upper: number, mom: number, C: number, res: number): number;
  tailBuild(inPtr: number, sorted: number, bucket: number, count: number, start: number, upper: number, mom: number, nb: number, C: number, wmax: number): number;
}

let compiled: WasmModule | null | undefined;
/**
 * The compiled kernels, or null where this runtime cannot run them (no WebAssembly, or no SIMD) or where the
 * environment variable LOOPGUARD_WASM is `off` (the TypeScript twins then run: the same numbers, slower).
 */
export function kernelsModule(): WasmModule | null {
  if (compiled === undefined) {
    if (process.env.LOOPGUARD_WASM === 'off') return (compiled = null);
    try {
      const bytes = Buffer.from(KERNELS_WASM_BASE64, 'base64');
      compiled = WASM && WASM.validate(bytes) ? new WASM.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

const PAGE = 65536;
/** What kernels.wat imports: the exponential, which WebAssembly has no instruction for. */
const IMPORTS = { math: { exp: Math.exp } };

/**
 * Byte offsets of the arrays in a TailKernel's memory: fixed arrays for `buckets` buckets of up to `terms` moments
 * (upper bounds, moments, counts, bucket starts, the bulk count, the tail's tables, evaluate's scratch and
 * polynomial), then arrays of up to `cap` items (the input weights, the sorted weights, a policy's full weights, the
 * bucket numbers, the query mask and the query indices), then the leave-one-out arrays for up to m queries and
 * polynomials of dcap coefficients, then the bulk's two chains of ccap doubles.
 */
function tailLayout(buckets: number, terms: number, cap: number, m: number, dcap: number, ccap: number) {
  const upper = 0, mom = upper + 8 * 64, count = mom + 8 * buckets * terms, start = count + 4 * 64;
  const res = align16(start + 4 * (64 + 1)), coef = res + 16, recip = coef + 8 * (terms + 1) * (terms + 1);
  const mpow = recip + 8 * (terms + 3), scratch = mpow + 8 * (terms + 1), poly = scratch + 8 * 7 * (terms + 1);
  const input = align16(poly + 8 * (terms + 1)), sorted = input + 8 * cap, full = sorted + 8 * cap, bucket = full + 8 * cap;
  const mask = bucket + cap, queries = align16(mask + cap);
  const base = align16(queries + 4 * cap), q = base + 8 * dcap, p = q + 8 * m, pre = p + 8 * m;
  const suf = pre + 8 * (m + 1) * dcap, loo = suf + 8 * (m + 1) * dcap, need = loo + 8 * m * dcap, rowTop = need + 4 * m;
  const cq = align16(rowTop + 4 * (m + 1)), cp = cq + 8 * ccap;
  return {
    upper, mom, count, start, res, coef, recip, mpow, scratch, poly, input, sorted, full, bucket, mask, queries,
    base, q, p, pre, suf, loo, need, rowTop, cq, cp, end: cp + 8 * ccap,
  };
}

/**
 * The Plackett-Luce integral's kernels in WebAssembly: LightTail.build, buildBulk and evaluate (plackett-luce-tail.ts),
 * the heavy items' product (foldBulk in plackett-luce.ts) and the queries' leave-one-out products (PrefixSuffix in
 * poisson-binomial.ts). An instance of the kernels with its own memory, laid out by tailLayout. The views below are
 * valid until the next ensure() that grows the memory.
 */
export class TailKernel {
  private readonly exports: KernelExports;
  private at: ReturnType<typeof tailLayout>;
  private capacity = 0;
  private qcap = 0;
  private dcap = 0;
  private ccap = 0;
  input = new Float64Array(0);
  sorted = new Float64Array(0);
  /** A policy's weights and the query indices into them, for buildFrom. */
  full = new Float64Array(0);
  queries = new Int32Array(0);
  upper = new Float64Array(0);
  moments = new Float64Array(0);
  bucketStart = new Int32Array(0);
  /** After buildFrom: the number of bulk items. */
  bulkCount = 0;
  private resCount = new Int32Array(0);
  /** evaluate's polynomial. */
  poly = new Float64Array(0);
  /** leaveOneOut's arrays: the base polynomial, the query factors, the degrees asked for and the results. */
  base = new Float64Array(0);
  qq = new Float64Array(0);
  qp = new Float64Array(0);
  need = new Int32Array(0);
  loo = new Float64Array(0);
  /** The bulk's chains e^{-w t} and 1 - e^{-w t} (foldBulk). */
  cq = new Float64Array(0);
  cp = new Float64Array(0);
  /** lambdaCoef, 1/m and m^{C+1}/(C+1)! of plackett-luce-tail.ts, for evaluate. */
  coef = new Float64Array(0);
  recip = new Float64Array(0);
  mpow = new Float64Array(0);

  /** null where the kernels cannot run. `buckets` <= 64 (the kernel counts in 64 slots) and any `terms`. */
  static create(buckets: number, terms: number): TailKernel | null {
    const module = kernelsModule();
    return module ? new TailKernel(module, buckets, terms) : null;
  }

  private constructor(
    module: WasmModule,
    private readonly buckets: number,
    private readonly terms: number,
  ) {
    if (buckets > 64) throw new RangeError('TailKernel: at most 64 buckets');
    this.exports = new WASM!.Instance(module, IMPORTS).exports as KernelExports;
    this.at = tailLayout(buckets, terms, 0, 0, 0, 0);
    this.ensure(1024);
  }

  /**
   * Room for n items, for m queries with polynomials of degree D (leaveOneOut) and for chains of that many doubles
   * (foldBulk); grows the memory, and so renews every view, when needed.
   */
  ensure(n: number, m = 0, D = 0, chains = 0): void {
    if (n <= this.capacity && m <= this.qcap && D + 1 <= this.dcap && chains <= this.ccap) return;
    this.capacity = n > this.capacity ? Math.max(n, 2 * this.capacity) : this.capacity;
    this.qcap = Math.max(m, this.qcap);
    this.dcap = Math.max(D + 1, this.dcap);
    this.ccap = Math.max(chains, this.ccap);
    const at = (this.at = tailLayout(this.buckets, this.terms, this.capacity, this.qcap, this.dcap, this.ccap));
    const { memory } = this.exports;
    const pages = Math.ceil(at.end / PAGE) - memory.buffer.byteLength / PAGE;
    if (pages > 0) memory.grow(pages);
    const buf = memory.buffer, T = this.terms + 1;
    const f64 = (offset: number, length: number) => new Float64Array(buf, offset, length);
    const i32 = (offset: number, length: number) => new Int32Array(buf, offset, length);
    this.input = f64(at.input, this.capacity);
    this.sorted = f64(at.sorted, this.capacity);
    this.full = f64(at.full, this.capacity);
    this.queries = i32(at.queries, this.capacity);
    this.base = f64(at.base, this.dcap);
    this.qq = f64(at.q, this.qcap);
    this.qp = f64(at.p, this.qcap);
    this.need = i32(at.need, this.qcap);
    this.loo = f64(at.loo, this.qcap * this.dcap);
    this.cq = f64(at.cq, this.ccap);
    this.cp = f64(at.cp, this.ccap);
    this.upper = f64(at.upper, 64);
    this.moments = f64(at.mom, this.buckets * this.terms);
    this.bucketStart = i32(at.start, 64 + 1);
    this.resCount = i32(at.res, 1);
    this.poly = f64(at.poly, T);
    this.coef = f64(at.coef, T * T);
    this.recip = f64(at.recip, T + 2);
    this.mpow = f64(at.mpow, T);
  }

  /** foldBulk (plackett-luce.ts) on base, of degree deg0: the nb chains from index off of cq and cp. */
  foldBulk(D: number, off: number, nb: number, deg0: number): void {
    if (off + nb > this.ccap || D + 1 > this.dcap) throw new RangeError('TailKernel.foldBulk: call ensure() first');
    const at = this.at;
    this.exports.foldBulk(at.base, D, at.cq + 8 * off, at.cp + 8 * off, nb, deg0);
  }

  /**
   * PrefixSuffix.build and .without (poisson-binomial.ts): loo[a (D + 1) + d] = P(exactly d of the events of `base`
   * and of the query factors (qq, qp) other than a), for d = need[a], or every d <= need[a] when `every`; m queries.
   * ensure(., m, D) first.
   */
  leaveOneOut(m: number, D: number, every: boolean): void {
    if (m > this.qcap || D + 1 > this.dcap) throw new RangeError('TailKernel.leaveOneOut: call ensure() first');
    const at = this.at;
    this.exports.leaveOneOut(at.base, D, at.q, at.p, m, at.need, at.pre, at.suf, at.rowTop, at.loo, every ? 1 : 0);
  }

  /** Buckets, sort and suffix moments of input[0..nb) (largest wmax), C moments each; returns the number of buckets. */
  build(nb: number, C: number, wmax: number): number {
    if (nb > this.capacity || C > this.terms) throw new RangeError('TailKernel.build: call ensure() first, and C <= terms');
    const at = this.at;
    return this.exports.tailBuild(at.input, at.sorted, at.bucket, at.count, at.start, at.upper, at.mom, nb, C, wmax);
  }

  /**
   * LightTail.evaluate: the tail polynomial of buckets hb.. at time t into poly[0..D] when its bound holds (returns
   * true), with C moments; coef, recip and mpow must hold the tail's tables.
   */
  evaluate(t: number, hb: number, D: number, tol: number, C: number): boolean {
    const at = this.at;
    return this.exports.tailEvaluate(t, hb, D, tol, C, this.terms, at.upper, at.mom, at.coef, at.recip, at.mpow, at.scratch, at.poly) === 1;
  }

  /**
   * build of the bulk of full[0..n): the weights above wMin of the items not among queries[0..m) (distinct), in
   * index order; sets bulkCount and returns the number of buckets.
   */
  buildFrom(n: number, m: number, wMin: number, C: number): number {
    if (n > this.capacity || m > n || C > this.terms) throw new RangeError('TailKernel.buildFrom: call ensure() first, m <= n and C <= terms');
    const at = this.at;
    const nB = this.exports.tailBuildFrom(at.full, n, at.queries, m, at.mask, wMin, at.input, at.sorted, at.bucket, at.count, at.start, at.upper, at.mom, C, at.res);
    this.bulkCount = this.resCount[0]!;
    return nB;
  }
}

const align16 = (x: number) => (x + 15) & ~15;
