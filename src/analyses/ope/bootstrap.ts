/**
 * Nonparametric bootstrap (Efron 1979; percentile intervals, Efron & Tibshirani 1993, "An introduction to the
 * bootstrap", ch. 13) of a set of OPE estimators on the same resamples.
 *
 * Each resample draws n rounds with replacement (exact multinomial counts) and recomputes every estimator from its
 * `RoundTerms`: value* = sum* additive / n + sum* numerator / sum* denominator, so self-normalised estimators are
 * renormalised on each resample. The reward model is held fixed (as in Open Bandit Pipeline's bootstrap); its own
 * fitting noise is not resampled.
 *
 * Speed. Inputs are validated once and the estimators share w_i, q_hat(x_i, pi_e) and the residuals; all estimators
 * share the resamples, and their per-round columns are deduplicated by content (e.g. the w_i column of SNIPW and SNDR).
 * A column that is exactly the row-wise sum of two others (DR's terms are DM's plus SNDR's numerator) is not resampled
 * either: its sums are theirs added. So the standard seven need 5 resampled columns when no weight exceeds tau.
 * To keep that pass in cache, rounds are cut into blocks of 2^10: a resample first draws how many of its n draws land
 * in each block (a chain of conditional binomials, which is exactly the multinomial), then, block by block and
 * resample by resample, draws the positions inside the block (three 10-bit fields of one 32-bit random word each) and
 * adds up the rows it drew. The columns sit row-major in panels of up to 8, so one draw reads one row of a panel, and
 * the block's rows stay in cache while the 64 resamples of a group visit it. That inner loop is WebAssembly with
 * 128-bit SIMD (internal/resample.wat: two columns per instruction, three sets of sums so the additions of one random
 * word do not wait on each other); its TypeScript twin (kGatherBlockTwin) does the same additions in the same order and
 * runs where the WebAssembly cannot. A panel after the first replays the draws from the same state.
 * Random words come from xoshiro128** (the generator of src/stats/rng.ts), one stream per group of 64 resamples
 * seeded from `createRng(seed)`, so the result does not depend on how groups are spread over threads. Large jobs run
 * groups on worker threads too: the same driver (internal/resample-kernel.ts) shipped as source, over one shared
 * memory holding the panels, and waited for synchronously.
 * Measured (bench/ope.js) on a 2-vCPU VM shared with other jobs: see docs/ope.md, "Speed".
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { percentileInterval } from '../../stats/bootstrap.js';
import { createRng } from '../../stats/rng.js';
import { DEFAULT_CONFIDENCE, roundTermsShared } from './estimators/define.js';
import { kGatherBlockTwin, kResampleGroups, kRunClaims, RESAMPLE_KERNEL_FUNCTIONS, type GatherBlock, type KernelLayout } from './internal/resample-kernel.js';
import { RESAMPLE_WASM_BASE64 } from './internal/resample-wasm.js';
import { SharedTerms, termsValue } from './terms.js';
import type { Estimator, LoggedBandit, RewardPredictions, RoundTerms, TargetPolicy } from './types.js';
import { validateConfidence, validateLoggedBandit, validateRewardModel, validateTarget } from './validate.js';

export const DEFAULT_RESAMPLES = 1000;
export const DEFAULT_BLOCK_BITS = 10;
const RESAMPLE_GROUP = 64;
const MAX_PANEL = 8;

export interface BootstrapOptions {
  /** Number of resamples. Default 1000. */
  n?: number;
  /** Seed; the same seed gives the same intervals. Default 0. */
  seed?: number;
  /** Two-sided level of the percentile intervals. Default 0.95. */
  confidence?: number;
  /** Return every estimator's replicate values (Float64Array of length n). Default false. */
  keepReplicates?: boolean;
  /** Threads for the resampling (see `ResampleOptions.threads`); results do not depend on it. */
  threads?: number;
}

export interface BootstrapEstimate {
  name: string;
  /** Point estimate on the full data. */
  value: number;
  /** Percentile interval of the replicate values. */
  ci: [number, number];
  /** Standard deviation of the replicate values (bootstrap standard error). */
  se: number;
  confidence: number;
  /** Resamples whose value was undefined (a self-normalised estimator whose resampled weights sum to 0); excluded. */
  failedResamples: number;
  replicates?: Float64Array;
}

export interface BootstrapResult {
  nResamples: number;
  seed: number;
  confidence: number;
  estimates: BootstrapEstimate[];
}

/** Bootstraps several estimators on shared resamples (see the module comment). Names must be distinct. */
export function bootstrapEstimates(
  estimators: readonly Estimator[],
  data: LoggedBandit,
  target: TargetPolicy,
  rewardModel?: RewardPredictions,
  options: BootstrapOptions = {},
): BootstrapResult {
  const fn = 'bootstrapEstimates';
  validateLoggedBandit(fn, data);
  validateTarget(fn, data, target);
  if (rewardModel !== undefined) validateRewardModel(fn, data, rewardModel);
  const shared = new SharedTerms(data, target, rewardModel);
  const named = estimators.map((e) => ({ name: e.name, terms: roundTermsShared(e, shared) }));
  return bootstrapRoundTerms(named, options);
}

/** The same, from precomputed round terms (all of the same n). */
export function bootstrapRoundTerms(
  named: readonly { name: string; terms: RoundTerms }[],
  options: BootstrapOptions = {},
): BootstrapResult {
  const fn = 'bootstrapEstimates';
  const nResamples = options.n ?? DEFAULT_RESAMPLES;
  if (!Number.isInteger(nResamples) || nResamples < 1) {
    throw new RangeError(`${fn}: n (resamples) must be an integer >= 1, got ${nResamples}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw new RangeError(`${fn}: seed must be a finite number, got ${seed}`);
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  validateConfidence(fn, confidence);
  if (named.length === 0) throw new RangeError(`${fn}: no estimators given`);
  const names = new Set<string>();
  for (const { name } of named) {
    if (names.has(name)) throw new RangeError(`${fn}: estimator name "${name}" appears twice`);
    names.add(name);
  }
  const n = named[0]!.terms.n;

  // Distinct columns, by content.
  const columns: Float64Array[] = [];
  const indexOf = (col: Float64Array, what: string, name: string): number => {
    if (col.length !== n) throw new RangeError(`${fn}: ${name} ${what} has length ${col.length}, expected n = ${n}`);
    for (let j = 0; j < columns.length; j++) if (sameContent(columns[j]!, col)) return j;
    columns.push(col);
    return columns.length - 1;
  };
  const layout = named.map(({ name, terms }) => {
    if (terms.n !== n) throw new RangeError(`${fn}: ${name} has n = ${terms.n}, expected ${n} like the others`);
    return {
      add: terms.additive === undefined ? -1 : indexOf(terms.additive, 'additive terms', name),
      num: terms.ratio === undefined ? -1 : indexOf(terms.ratio.numerator, 'ratio numerator', name),
      den: terms.ratio === undefined ? -1 : indexOf(terms.ratio.denominator, 'ratio denominator', name),
    };
  });

  // A column that is, row by row and to the last bit, the sum of two others (dr's terms are dm's plus sndr's numerator,
  // rounded the same way) is not resampled: its resampled sums are the other two's sums added (equal up to rounding
  // in the last place of the sum).
  const J = columns.length;
  const derived = sumOfTwo(columns);
  const base: number[] = [];
  const baseIndex = new Int32Array(J).fill(-1);
  for (let j = 0; j < J; j++) if (derived[j] === null) (baseIndex[j] = base.length), base.push(j);
  const baseSums = resampleColumnSums(
    base.map((j) => columns[j]!),
    nResamples,
    seed,
    options.threads === undefined ? {} : { threads: options.threads },
  );
  const Jb = base.length;
  const sums = new Float64Array(nResamples * J);
  for (let r = 0; r < nResamples; r++) {
    for (let j = 0; j < J; j++) {
      const d = derived[j] ?? null;
      sums[r * J + j] = d === null ? baseSums[r * Jb + baseIndex[j]!]! : baseSums[r * Jb + baseIndex[d[0]]!]! + baseSums[r * Jb + baseIndex[d[1]]!]!;
    }
  }
  const estimates = named.map(({ name, terms }, e) => {
    const { add, num, den } = layout[e]!;
    const reps = new Float64Array(nResamples);
    for (let r = 0; r < nResamples; r++) {
      const o = r * J;
      let v = add >= 0 ? sums[o + add]! / n : 0;
      if (num >= 0) v += sums[o + num]! / sums[o + den]!;
      reps[r] = v;
    }
    const finite = reps.filter((x) => Number.isFinite(x)).sort();
    let mean = 0;
    for (let k = 0; k < finite.length; k++) mean += finite[k]!;
    mean /= finite.length;
    let ss = 0;
    for (let k = 0; k < finite.length; k++) ss += (finite[k]! - mean) * (finite[k]! - mean);
    const est: BootstrapEstimate = {
      name,
      value: termsValue(terms),
      ci: finite.length > 0 ? percentileInterval(finite, confidence, true) : [Number.NaN, Number.NaN],
      se: finite.length >= 2 ? Math.sqrt(ss / (finite.length - 1)) : Number.NaN,
      confidence,
      failedResamples: nResamples - finite.length,
    };
    if (options.keepReplicates === true) est.replicates = reps;
    return est;
  });
  return { nResamples, seed, confidence, estimates };
}

/**
 * For each column, a pair of other columns whose row-wise floating-point sum it equals exactly (neither of them itself
 * such a sum), or null. Rows are compared until the first mismatch, so unrelated columns cost a few reads.
 */
function sumOfTwo(columns: readonly Float64Array[]): Array<[number, number] | null> {
  const J = columns.length;
  const out: Array<[number, number] | null> = columns.map(() => null);
  for (let j = 0; j < J; j++) {
    const c = columns[j]!;
    search: for (let a = 0; a < J; a++) {
      if (a === j || out[a] !== null) continue;
      for (let b = a + 1; b < J; b++) {
        if (b === j || out[b] !== null) continue;
        const x = columns[a]!, y = columns[b]!;
        let i = 0;
        while (i < c.length && c[i] === x[i]! + y[i]!) i++;
        if (i === c.length) {
          out[j] = [a, b];
          break search;
        }
      }
    }
  }
  // A column used as a summand stays resampled, whatever was found for it later.
  for (let j = 0; j < J; j++) {
    const d = out[j] ?? null;
    if (d !== null && (out[d[0]] !== null || out[d[1]] !== null)) out[j] = null;
  }
  return out;
}

function sameContent(a: Float64Array, b: Float64Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]!) && Number.isNaN(b[i]!))) return false;
  return true;
}

export interface ResampleOptions {
  /** Rounds per cache block, as a power of two (1..16). Default 10 (1024 rounds: three positions per random word). */
  blockBits?: number;
  /**
   * Threads (the calling thread plus worker threads). Default: 1 for small jobs (n * resamples < 2^25), otherwise
   * min(available cores, 8). Results do not depend on it. If a worker cannot start or fails, its share is computed on
   * the calling thread.
   */
  threads?: number;
  /**
   * Run resample.wat where it can run (default true); false runs its TypeScript twin, which gives the same sums bit
   * for bit, slower. The environment variable LOOPGUARD_WASM=off does the same everywhere.
   */
  wasm?: boolean;
  /** If given, filled with how the work was actually run. */
  report?: ResampleReport;
}

export interface ResampleReport {
  threads: number;
  /** Whether resample.wat ran (false: its TypeScript twin, with the same sums). */
  wasm?: boolean;
  /**
   * Worker tasks that could not be created or failed; the groups they left unfinished were computed on the calling
   * thread. (A worker that starts late is not a failure: the calling thread takes the groups it has not claimed.)
   */
  workerFailures: number;
}

/**
 * Bootstrap sums: out[r * J + j] = sum_i c_ri columns[j][i] where (c_r1..c_rn) ~ Multinomial(n; 1/n, ..., 1/n)
 * independently for r = 0..nResamples-1 (all columns share the counts of a resample). Exposed for tests and for
 * callers with their own statistics.
 */
export function resampleColumnSums(
  columns: readonly Float64Array[],
  nResamples: number,
  seed: number,
  options: ResampleOptions = {},
): Float64Array {
  const fn = 'resampleColumnSums';
  const J = columns.length;
  if (J === 0) throw new RangeError(`${fn}: no columns`);
  const n = columns[0]!.length;
  if (n < 1) throw new RangeError(`${fn}: columns are empty`);
  for (let j = 1; j < J; j++) {
    if (columns[j]!.length !== n) throw new RangeError(`${fn}: column ${j} has length ${columns[j]!.length}, expected ${n}`);
  }
  if (!Number.isInteger(nResamples) || nResamples < 1) {
    throw new RangeError(`${fn}: nResamples must be an integer >= 1, got ${nResamples}`);
  }
  const blockBits = options.blockBits ?? DEFAULT_BLOCK_BITS;
  if (!Number.isInteger(blockBits) || blockBits < 1 || blockBits > 16) {
    throw new RangeError(`${fn}: blockBits must be an integer in [1, 16], got ${blockBits}`);
  }
  const nGroups = Math.ceil(nResamples / RESAMPLE_GROUP);
  let threads = options.threads ?? (n * nResamples < 2 ** 25 ? 1 : Math.min(availableParallelism(), 8));
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`${fn}: threads must be an integer >= 1, got ${threads}`);
  threads = Math.min(threads, nGroups);
  if (threads > 1 && !kernelShippable()) threads = 1;

  // One memory for everything: each thread's scratch, then the panels of up to 8 columns, row-major (S pairs of
  // doubles per row, a last odd column padded with a zero), so a block's rows sit together in cache.
  const nBlocks = Math.ceil(n / 2 ** blockBits);
  const panelFirst: number[] = [], panelCols: number[] = [], panelS: number[] = [], panelAt: number[] = [];
  const countsBytes = 16 * Math.ceil((4 * RESAMPLE_GROUP * nBlocks) / 16);
  const scratchBytes = 64 * Math.ceil((16 + countsBytes + 64 * Math.ceil(J / MAX_PANEL) * RESAMPLE_GROUP) / 64);
  let at = threads * scratchBytes;
  for (let first = 0; first < J; first += MAX_PANEL) {
    const cols = Math.min(MAX_PANEL, J - first);
    const S = Math.ceil(cols / 2);
    panelFirst.push(first);
    panelCols.push(cols);
    panelS.push(S);
    panelAt.push(at);
    at += 64 * Math.ceil((16 * S * n) / 64);
  }
  const layout: KernelLayout = { n, J, nResamples, blockBits, groupSize: RESAMPLE_GROUP, panelFirst, panelCols, panelS, panelAt, scratchBytes };
  const memory = kernelMemory(at, options.wasm !== false && blockBits <= 10, threads > 1);
  const F = new Float64Array(memory.buffer);
  const I = new Int32Array(memory.buffer);
  // Rows in runs of 4096, column by column within a run: the writes of a run stay in cache. A padding column (an odd
  // last one) is written as 0: a reused memory holds the last job's numbers.
  panelAt.forEach((byte, p) => {
    const w = 2 * panelS[p]!;
    const base = byte / 8;
    for (let i0 = 0; i0 < n; i0 += 4096) {
      const i1 = Math.min(n, i0 + 4096);
      for (let k = 0; k < w; k++) {
        fillStrided(F, base + i0 * w + k, w, k < panelCols[p]! ? columns[panelFirst[p]! + k]! : null, i0, i1);
      }
    }
  });

  // One xoshiro128** state per group of resamples, seeded from createRng(seed).
  const init = createRng(seed);
  const states = new Int32Array(threads > 1 ? new SharedArrayBuffer(16 * nGroups) : new ArrayBuffer(16 * nGroups));
  for (let g = 0; g < nGroups; g++) {
    for (let k = 0; k < 4; k++) states[4 * g + k] = (init.next() * 4294967296) | 0;
    if ((states[4 * g]! | states[4 * g + 1]! | states[4 * g + 2]! | states[4 * g + 3]!) === 0) states[4 * g] = 1;
  }

  const out = new Float64Array(threads > 1 ? new SharedArrayBuffer(8 * nResamples * J) : new ArrayBuffer(8 * nResamples * J));
  const gatherBlock = memory.module
    ? (new WASM!.Instance(memory.module, { env: { memory: memory.wasm } }).exports as { gatherBlock: GatherBlock }).gatherBlock
    : twinGather(F, I);
  if (options.report !== undefined) {
    options.report.threads = threads;
    options.report.workerFailures = 0;
    options.report.wasm = memory.wasm !== undefined;
  }
  if (threads === 1) {
    kResampleGroups(gatherBlock, F, I, layout, 0, states, 0, nGroups, out);
    return out;
  }

  // Each thread has a contiguous range of groups; a group is run by whichever thread claims it first (status 0 -> 1,
  // done = 2). The calling thread runs its own range, then takes the groups its workers have not claimed yet, from
  // the end of their ranges, so a worker that starts late or is starved on a busy machine delays nothing. Groups write
  // disjoint parts of one shared output and start from their own random state, so who runs them does not matter.
  const bounds = Array.from({ length: threads + 1 }, (_, t) => Math.round((t * nGroups) / threads));
  const status = new Int32Array(new SharedArrayBuffer(4 * nGroups));
  const claim = (first: number, last: number, step: number): void =>
    kRunClaims(gatherBlock, F, I, layout, 0, states, status, first, last, step, out);
  const tasks = [];
  for (let t = 1; t < threads; t++) {
    const firstGroup = bounds[t]!;
    const lastGroup = bounds[t + 1]!;
    const flag = new Int32Array(new SharedArrayBuffer(4));
    let worker: Worker | undefined;
    try {
      worker = new Worker(kernelWorkerSource(), {
        eval: true,
        workerData: { module: memory.module, memory: memory.wasm, buffer: memory.wasm ? undefined : memory.buffer, layout, thread: t, states, status, firstGroup, lastGroup, out, flag },
      });
      worker.on('error', () => undefined); // a failure shows in `flag`; never crash the caller
      worker.unref();
    } catch {
      worker = undefined;
    }
    tasks.push({ firstGroup, lastGroup, flag, worker });
  }
  claim(bounds[0]!, bounds[1]!, 1);
  for (let t = tasks.length - 1; t >= 0; t--) claim(tasks[t]!.firstGroup, tasks[t]!.lastGroup, -1);
  // Every group is claimed now. A worker still pending can claim nothing any more; a running one finishes its group.
  for (const task of tasks) {
    const { flag } = task;
    let state = task.worker === undefined ? WORKER_FAILED : Atomics.load(flag, 0);
    while (state === WORKER_RUNNING) {
      Atomics.wait(flag, 0, WORKER_RUNNING, 1000);
      state = Atomics.load(flag, 0);
    }
    if (state === WORKER_FAILED && options.report !== undefined) options.report.workerFailures++;
    task.worker?.terminate().catch(() => undefined);
  }
  // Groups a failed worker left unfinished: again here (a group writes its output only at its end, and starts from
  // its own state in `states`, which no thread changes).
  for (let g = 0; g < nGroups; g++) {
    if (Atomics.load(status, g) !== 2) kResampleGroups(gatherBlock, F, I, layout, 0, states, g, g + 1, out);
  }
  return out;
}

/** F[at + (i - i0) w] = col[i] (or 0) for i in [i0, i1): a small function, which V8 optimises whole. */
function fillStrided(F: Float64Array, at: number, w: number, col: Float64Array | null, i0: number, i1: number): void {
  if (col) for (let i = i0; i < i1; i++, at += w) F[at] = col[i]!;
  else for (let i = i0; i < i1; i++, at += w) F[at] = 0;
}

/** resample.wat's gatherBlock run by its TypeScript twin on the memory F and I view. */
function twinGather(F: Float64Array, I: Int32Array): GatherBlock {
  return (panel, S, size, mask, st, counts, countStride, group, out, outStride) =>
    kGatherBlockTwin(F, I, panel, S, size, mask, st, counts, countStride, group, out, outStride);
}

/** The part of the WebAssembly API used here (the project's TypeScript libraries do not declare it: no DOM lib). */
interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}
type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
}
const WASM = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** Largest memory the WebAssembly kernel addresses (its 32-bit byte offsets), less a page. */
const WASM_MAX_BYTES = 2 ** 32 - 65536;

/**
 * The kernel's memory of at least `bytes`: a shared WebAssembly memory with the compiled resample.wat where it can
 * run (WebAssembly with SIMD and shared memory, blocks of at most 2^10 rows, at most 4 GiB, LOOPGUARD_WASM not
 * `off`); otherwise a plain buffer (shared when `shared`) for the TypeScript twin.
 */
function kernelMemory(bytes: number, wasm: boolean, shared: boolean): {
  buffer: ArrayBufferLike;
  module?: WasmModule;
  wasm?: WasmMemory;
} {
  const module = wasm && bytes <= WASM_MAX_BYTES ? resampleModule() : null;
  if (module) {
    if (keptMemory !== undefined && keptMemory.buffer.byteLength >= bytes) return { buffer: keptMemory.buffer, module, wasm: keptMemory };
    try {
      const pages = Math.ceil(bytes / 65536);
      const wasm = new WASM!.Memory({ initial: pages, maximum: Math.max(pages, 16), shared: true });
      if (bytes <= KEEP_BYTES) keptMemory = wasm;
      return { buffer: wasm.buffer, module, wasm };
    } catch {
      // no memory that large: the twin below, in a plain buffer
    }
  }
  return { buffer: shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes) };
}

/**
 * The last WebAssembly memory of at most KEEP_BYTES, kept for the next job of this thread: a fresh memory costs a page
 * fault per 4 KiB on first use (about 20 ms for the 48 MB of 1M rounds x 6 columns), a reused one nothing. Jobs on one
 * thread run one at a time (resampleColumnSums is synchronous), and a job's workers are done with the memory when it
 * returns, so the next job may overwrite it.
 */
let keptMemory: WasmMemory | undefined;
const KEEP_BYTES = 256 * 2 ** 20;

let compiledModule: WasmModule | null | undefined;
/** resample.wat compiled, or null where it cannot run (see kernelMemory). */
function resampleModule(): WasmModule | null {
  if (compiledModule === undefined) {
    compiledModule = null;
    if (WASM && process.env.LOOPGUARD_WASM !== 'off') {
      try {
        const bytes = Buffer.from(RESAMPLE_WASM_BASE64, 'base64');
        if (WASM.validate(bytes)) compiledModule = new WASM.Module(bytes);
      } catch {
        compiledModule = null;
      }
    }
  }
  return compiledModule;
}

const WORKER_PENDING = 0;
const WORKER_RUNNING = 1;
const WORKER_DONE = 2;
const WORKER_FAILED = 3;

let workerSource: string | undefined;
/** The kernel's function declarations plus a driver that runs one task and reports through `flag`. */
function kernelWorkerSource(): string {
  workerSource ??= [
    ...RESAMPLE_KERNEL_FUNCTIONS.map((f) => f.toString()),
    "const { workerData: d } = require('node:worker_threads');",
    `Atomics.store(d.flag, 0, ${WORKER_RUNNING});`,
    'Atomics.notify(d.flag, 0);',
    'try {',
    '  const buf = d.memory ? d.memory.buffer : d.buffer;',
    '  const F = new Float64Array(buf), I = new Int32Array(buf);',
    '  const gather = d.module',
    "    ? new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports.gatherBlock",
    '    : (p, S, size, mask, st, c, cs, g, o, os) => kGatherBlockTwin(F, I, p, S, size, mask, st, c, cs, g, o, os);',
    '  kRunClaims(gather, F, I, d.layout, d.thread, d.states, d.status, d.firstGroup, d.lastGroup, 1, d.out);',
    `  Atomics.store(d.flag, 0, ${WORKER_DONE});`,
    '} catch {',
    `  Atomics.store(d.flag, 0, ${WORKER_FAILED});`,
    '}',
    'Atomics.notify(d.flag, 0);',
  ].join('\n');
  return workerSource;
}

/** The kernel can be shipped as source only if each function's text is a plain declaration under its own name. */
function kernelShippable(): boolean {
  return RESAMPLE_KERNEL_FUNCTIONS.every((f) => f.toString().startsWith(`function ${f.name}(`));
}
