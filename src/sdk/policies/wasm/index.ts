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
  Instance: new (module: WasmModule) => { exports: unknown };
  validate(bytes: Uint8Array): boolean;
}
const WASM = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface KernelExports {
  memory: WasmMemory;
  tailBuild(inPtr: number, sorted: number, bucket: number, count: number, start: number, upper: number, mom: number, nb: number, C: number, wmax: number): number;
}

let compiled: WasmModule | null | undefined;
/** The compiled kernels, or null where this runtime cannot run them (no WebAssembly, or no SIMD). */
export function kernelsModule(): WasmModule | null {
  if (compiled === undefined) {
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

/**
 * LightTail.build in WebAssembly (plackett-luce-tail.ts): an instance of the kernels with its own memory, laid out
 * as fixed arrays (upper bounds, moments, counts, bucket starts for `buckets` buckets of up to `terms` moments) and
 * then the input weights, the sorted weights and the bucket numbers of up to `capacity` items. The views below are
 * valid until the next ensure() that grows the memory.
 */
export class TailKernel {
  private readonly exports: KernelExports;
  private readonly UPPER = 0;
  private readonly MOM: number;
  private readonly COUNT: number;
  private readonly START: number;
  private readonly IN: number;
  private capacity = 0;
  input = new Float64Array(0);
  sorted = new Float64Array(0);
  upper = new Float64Array(0);
  moments = new Float64Array(0);
  bucketStart = new Int32Array(0);

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
    this.exports = new WASM!.Instance(module).exports as KernelExports;
    this.MOM = this.UPPER + 8 * 64;
    this.COUNT = this.MOM + 8 * buckets * terms;
    this.START = this.COUNT + 4 * 64;
    this.IN = align16(this.START + 4 * (64 + 1));
    this.ensure(1024);
  }

  /** Room for n items (grows the memory, and so renews every view, when needed). */
  ensure(n: number): void {
    if (n <= this.capacity) return;
    const capacity = Math.max(n, 2 * this.capacity);
    const bytes = this.IN + 17 * capacity + 16;
    const { memory } = this.exports;
    const pages = Math.ceil(bytes / PAGE) - memory.buffer.byteLength / PAGE;
    if (pages > 0) memory.grow(pages);
    this.capacity = capacity;
    const buf = memory.buffer;
    this.input = new Float64Array(buf, this.IN, capacity);
    this.sorted = new Float64Array(buf, this.IN + 8 * capacity, capacity);
    this.upper = new Float64Array(buf, this.UPPER, 64);
    this.moments = new Float64Array(buf, this.MOM, this.buckets * this.terms);
    this.bucketStart = new Int32Array(buf, this.START, 64 + 1);
  }

  /** Buckets, sort and suffix moments of input[0..nb) (largest wmax), C moments each; returns the number of buckets. */
  build(nb: number, C: number, wmax: number): number {
    if (nb > this.capacity || C > this.terms) throw new RangeError('TailKernel.build: call ensure() first, and C <= terms');
    const sortedAt = this.IN + 8 * this.capacity;
    return this.exports.tailBuild(this.IN, sortedAt, sortedAt + 8 * this.capacity, this.COUNT, this.START, this.UPPER, this.MOM, nb, C, wmax);
  }
}

const align16 = (x: number) => (x + 15) & ~15;
