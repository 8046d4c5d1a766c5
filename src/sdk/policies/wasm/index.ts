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
 * The Plackett-Luce integral's kernels in WebAssembly: LightTail.build, buildBulk and evaluate (plackett-luce-tail.ts)
 * and the queries' leave-one-out products (PrefixSuffix in poisson-binomial.ts). An instance of the kernels with its
 * own memory, laid out as fixed arrays (upper bounds, moments, counts and bucket starts for `buckets` buckets of up to
 * `terms` moments, two result slots, the tail's tables, evaluate's scratch and polynomial), then arrays of up to
 * `capacity` items (the input weights, the sorted weights, a policy's full weights, the bucket numbers, the query
 * mask and the query indices), then the leave-one-out arrays for up to qcap queries and polynomials of dcap
 * coefficients. The views below are valid until the next ensure() that grows the memory.
 */
export class TailKernel {
  private readonly exports: KernelExports;
  private readonly UPPER = 0;
  private readonly MOM: number;
  private readonly COUNT: number;
  private readonly START: number;
  private readonly RES: number;
  private readonly COEF: number;
  private readonly RECIP: number;
  private readonly MPOW: number;
  private readonly SCRATCH: number;
  private readonly POLY: number;
  private readonly ITEMS: number;
  private capacity = 0;
  input = new Float64Array(0);
  sorted = new Float64Array(0);
  /** A policy's weights, for buildFrom. */
  full = new Float64Array(0);
  /** Query indices into `full`, for buildFrom. */
  queries = new Int32Array(0);
  upper = new Float64Array(0);
  moments = new Float64Array(0);
  bucketStart = new Int32Array(0);
  /** After buildFrom: the number of bulk items and the largest of them. */
  bulkCount = 0;
  bulkMax = 0;
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
  /** lambdaCoef, 1/m and m^{C+1}/(C+1)! of plackett-luce-tail.ts, for evaluate (setTables). */
  coef = new Float64Array(0);
  recip = new Float64Array(0);
  mpow = new Float64Array(0);
  private resCount = new Int32Array(0);
  private resMax = new Float64Array(0);

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
    this.MOM = this.UPPER + 8 * 64;
    this.COUNT = this.MOM + 8 * buckets * terms;
    this.START = this.COUNT + 4 * 64;
    this.RES = align16(this.START + 4 * (64 + 1));
    this.COEF = this.RES + 16;
    this.RECIP = this.COEF + 8 * (terms + 1) * (terms + 1);
    this.MPOW = this.RECIP + 8 * (terms + 3);
    this.SCRATCH = this.MPOW + 8 * (terms + 1);
    this.POLY = this.SCRATCH + 8 * 7 * (terms + 1);
    this.ITEMS = align16(this.POLY + 8 * (terms + 1));
    this.ensure(1024);
  }

  /**
   * Offsets of the per-item arrays for a capacity, of the query arrays for m queries and polynomials of dcap, and of
   * the bulk's chains (ccap doubles each).
   */
  private layout(cap: number, m: number, dcap: number, ccap: number) {
    const input = this.ITEMS, sorted = input + 8 * cap, full = sorted + 8 * cap, bucket = full + 8 * cap;
    const mask = bucket + cap, queries = align16(mask + cap);
    const base = align16(queries + 4 * cap), q = base + 8 * dcap, p = q + 8 * m, pre = p + 8 * m;
    const suf = pre + 8 * (m + 1) * dcap, loo = suf + 8 * (m + 1) * dcap, need = loo + 8 * m * dcap, rowTop = need + 4 * m;
    const cq = align16(rowTop + 4 * (m + 1)), cp = cq + 8 * ccap;
    return { input, sorted, full, bucket, mask, queries, base, q, p, pre, suf, loo, need, rowTop, cq, cp, end: cp + 8 * ccap };
  }
  private at!: ReturnType<TailKernel['layout']>;
  private qcap = 0;
  private dcap = 0;
  private ccap = 0;

  /**
   * Room for n items, for m queries with polynomials of degree D (leaveOneOut) and for chains of that many doubles
   * (foldBulk); grows the memory, and so renews every view, when needed.
   */
  ensure(n: number, m = 0, D = 0, chains = 0): void {
    if (n <= this.capacity && m <= this.qcap && D + 1 <= this.dcap && chains <= this.ccap) return;
    const capacity = n > this.capacity ? Math.max(n, 2 * this.capacity) : this.capacity;
    const qcap = Math.max(m, this.qcap), dcap = Math.max(D + 1, this.dcap), ccap = Math.max(chains, this.ccap);
    const at = this.layout(capacity, qcap, dcap, ccap);
    const { memory } = this.exports;
    const pages = Math.ceil(at.end / PAGE) - memory.buffer.byteLength / PAGE;
    if (pages > 0) memory.grow(pages);
    this.capacity = capacity;
    this.qcap = qcap;
    this.dcap = dcap;
    this.ccap = ccap;
    this.at = at;
    const buf = memory.buffer;
    this.input = new Float64Array(buf, at.input, capacity);
    this.sorted = new Float64Array(buf, at.sorted, capacity);
    this.full = new Float64Array(buf, at.full, capacity);
    this.queries = new Int32Array(buf, at.queries, capacity);
    this.base = new Float64Array(buf, at.base, dcap);
    this.qq = new Float64Array(buf, at.q, qcap);
    this.qp = new Float64Array(buf, at.p, qcap);
    this.need = new Int32Array(buf, at.need, qcap);
    this.loo = new Float64Array(buf, at.loo, qcap * dcap);
    this.cq = new Float64Array(buf, at.cq, ccap);
    this.cp = new Float64Array(buf, at.cp, ccap);
    this.upper = new Float64Array(buf, this.UPPER, 64);
    this.moments = new Float64Array(buf, this.MOM, this.buckets * this.terms);
    this.bucketStart = new Int32Array(buf, this.START, 64 + 1);
    this.poly = new Float64Array(buf, this.POLY, this.terms + 1);
    this.coef = new Float64Array(buf, this.COEF, (this.terms + 1) * (this.terms + 1));
    this.recip = new Float64Array(buf, this.RECIP, this.terms + 3);
    this.mpow = new Float64Array(buf, this.MPOW, this.terms + 1);
    this.resCount = new Int32Array(buf, this.RES, 1);
    this.resMax = new Float64Array(buf, this.RES + 8, 1);
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
    return this.exports.tailBuild(at.input, at.sorted, at.bucket, this.COUNT, this.START, this.UPPER, this.MOM, nb, C, wmax);
  }

  /**
   * LightTail.evaluate: the tail polynomial of buckets hb.. at time t into poly[0..D] when its bound holds (returns
   * true), with C moments; coef, recip and mpow must hold the tail's tables.
   */
  evaluate(t: number, hb: number, D: number, tol: number, C: number): boolean {
    return this.exports.tailEvaluate(t, hb, D, tol, C, this.terms, this.UPPER, this.MOM, this.COEF, this.RECIP, this.MPOW, this.SCRATCH, this.POLY) === 1;
  }

  /**
   * build of the bulk of full[0..n): the weights above wMin of the items not among queries[0..m) (distinct), in
   * index order; sets bulkCount and bulkMax and returns the number of buckets.
   */
  buildFrom(n: number, m: number, wMin: number, C: number): number {
    if (n > this.capacity || m > n || C > this.terms) throw new RangeError('TailKernel.buildFrom: call ensure() first, m <= n and C <= terms');
    const at = this.at;
    const nB = this.exports.tailBuildFrom(at.full, n, at.queries, m, at.mask, wMin, at.input, at.sorted, at.bucket, this.COUNT, this.START, this.UPPER, this.MOM, C, this.RES);
    this.bulkCount = this.resCount[0]!;
    this.bulkMax = this.resMax[0]!;
    return nB;
  }
}

const align16 = (x: number) => (x + 15) & ~15;
