/**
 * What every exploration policy shares: the input (the caller's scored candidates), the output (a slate ready to log as
 * a decision's `shown` and `strategy`), the greedy ranking that `explored` is measured against, and the marginal
 * table P(item at position) that tests and tools read.
 *
 * Conventions used by every policy in this folder:
 * - Positions are 1-based: position 1 is the first slot.
 * - The greedy ranking sorts candidates by score, highest first; equal scores keep their input order.
 * - `propensity` is the exact probability that the policy puts THIS item at THIS position (the event contract's
 *   definition), integrating over every random choice the policy makes (including its exploration coin).
 * - `explored` is true exactly when the item is not at the position the greedy ranking gives it (an item outside the
 *   greedy top slate is always explored). It is a function of (item, position) alone, so it is the same in every
 *   decision that shows that item there.
 */
import crypto from 'node:crypto';
import { LIMITS, STRATEGIES } from '../../events/schemas.js';
import { createRng, type Rng } from '../../stats/rng.js';

export type { Rng } from '../../stats/rng.js';

/** A candidate item with the caller's model score (higher is better). */
export interface Candidate {
  item_id: string;
  score: number;
}

/**
 * The same candidates as two columns, index by index: their ids, and their scores as a model returns them (a
 * Float32Array or Float64Array of one batch, say), without building an object per candidate.
 */
export interface CandidateColumns {
  item_ids: readonly string[];
  scores: ArrayLike<number>;
}

/** What every candidate policy takes: an array of {item_id, score}, or the same as columns. */
export type Candidates = readonly Candidate[] | CandidateColumns;

export const isCandidateColumns = (c: Candidates): c is CandidateColumns => !Array.isArray(c);

/** Number of candidates (of input checked by checkCandidateList). */
export const candidateCount = (c: Candidates): number => (isCandidateColumns(c) ? c.item_ids.length : c.length);

/** The id of candidate i. */
export const idOf = (c: Candidates, i: number): string => (isCandidateColumns(c) ? c.item_ids[i]! : c[i]!.item_id);

/** Every candidate's id, in input order. */
export function itemIds(c: Candidates): string[] {
  return isCandidateColumns(c) ? [...c.item_ids] : c.map((x) => x.item_id);
}

/** The candidates at the given indices, in the form they came in. */
export function subsetOf(c: Candidates, indices: readonly number[]): Candidates {
  if (!isCandidateColumns(c)) return indices.map((i) => c[i]!);
  const scores = new Float64Array(indices.length);
  indices.forEach((i, j) => (scores[j] = c.scores[i]!));
  return { item_ids: indices.map((i) => c.item_ids[i]!), scores };
}

/** One slot of a slate, in the shape of the event contract's `shown[]` entries. */
export interface ShownSlot {
  item_id: string;
  position: number;
  propensity: number;
  explored: boolean;
  score?: number;
}

/** Strategies a policy may report: the event contract's `strategy`. */
export type PolicyStrategy = (typeof STRATEGIES)[number];

/** The strategy a policy logs: the option given (one of PolicyStrategy, else a RangeError) or the policy's default. */
export function strategyOf(fn: string, given: PolicyStrategy | undefined, fallback: PolicyStrategy): PolicyStrategy {
  if (given === undefined) return fallback;
  if (!(STRATEGIES as readonly string[]).includes(given))
    throw new RangeError(`${fn}: strategy must be one of ${STRATEGIES.join(', ')} (got ${JSON.stringify(given)})`);
  return given;
}

/** A policy's answer: spread it into a decision event (`client.logDecision({...ids, ...slate})`). */
export interface Slate {
  shown: ShownSlot[];
  strategy: PolicyStrategy;
}

/**
 * The full table of marginals: p[i * positions + (j - 1)] = P(item i is shown at position j), for every candidate i
 * (in input order) and every position 1..positions. Rows sum to P(item shown at all) <= 1; columns sum to 1.
 */
export interface Marginals {
  items: string[];
  positions: number;
  p: Float64Array;
}

export function marginalAt(m: Marginals, item: number, position: number): number {
  return m.p[item * m.positions + (position - 1)]!;
}

/** The default generator: xoshiro128** seeded from the OS (crypto), so no policy ever touches Math.random. */
let defaultRng: Rng | null = null;
export function sdkRng(): Rng {
  if (!defaultRng) defaultRng = createRng(crypto.randomBytes(4).readUInt32LE(0));
  return defaultRng;
}

/**
 * The list itself (a non-empty array, or columns of ids and scores of one non-empty length), without looking at the
 * scores.
 */
export function checkCandidateList(fn: string, candidates: Candidates): void {
  if (Array.isArray(candidates)) {
    if (candidates.length === 0) throw new RangeError(`${fn}: candidates must be a non-empty array`);
    return;
  }
  const c = candidates as Partial<CandidateColumns> | null;
  if (c === null || typeof c !== 'object' || !Array.isArray(c.item_ids) || c.scores === null || typeof c.scores !== 'object' || typeof c.scores.length !== 'number')
    throw new RangeError(`${fn}: candidates must be a non-empty array of {item_id, score}, or {item_ids, scores} (an array of ids and an array of their scores)`);
  if (c.item_ids.length === 0) throw new RangeError(`${fn}: candidates must not be empty`);
  if (c.scores.length !== c.item_ids.length)
    throw new RangeError(`${fn}: candidates.scores has ${c.scores.length} entries for ${c.item_ids.length} item_ids; give one score per id`);
}

/** Throws as checkedScores does, for a caller that only needs the candidates checked. */
export function checkCandidates(fn: string, candidates: Candidates): void {
  checkedScores(fn, candidates);
}

/** The error for a candidate score that is not a finite number. */
export function scoreError(fn: string, i: number, score: unknown, columns = false): RangeError {
  return new RangeError(`${fn}: candidates${columns ? `.scores[${i}]` : `[${i}].score`} must be a finite number (got ${String(score)})`);
}

export function checkSlateSize(fn: string, slateSize: number): void {
  if (!Number.isInteger(slateSize) || slateSize < 1) throw new RangeError(`${fn}: slateSize must be an integer >= 1 (got ${slateSize})`);
}

export function checkProbability(fn: string, name: string, v: number): void {
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${fn}: ${name} must be in [0, 1] (got ${v})`);
}

/**
 * Indices of the k highest scores, best first; equal scores keep input order. Small k: a sorted window that only
 * candidates beating its last entry enter (O(n) typical). Larger k: quickselect finds the k-th largest score, the
 * indices above it (and the earliest ones equal to it) are collected and sorted, O(n + k log k).
 */
export function topK(scores: ArrayLike<number>, k: number): number[] {
  const n = scores.length;
  k = Math.min(k, n);
  if (k > 16) return topKSelect(scores, k);
  const w = new TopWindow(k);
  for (let i = 0; i < n; i++) w.offer(i, scores[i]!);
  return w.result();
}

/**
 * topK's window for small k, fed one score at a time (so that a loop reading the scores anyway ranks them too): the
 * k best seen so far, best first, equal scores in the order offered.
 */
export class TopWindow {
  private readonly idx: number[] = [];
  private readonly val: number[] = [];
  private filled = 0;
  private last = -Infinity;
  constructor(private k: number) {}

  /** Empties the window for the k best. */
  reset(k: number): void {
    this.k = k;
    this.filled = 0;
    this.last = -Infinity;
  }

  offer(i: number, s: number): void {
    const k = this.k;
    // Once the window is full, a candidate enters only above its last entry: one comparison per score.
    if (this.filled === k && !(s > this.last)) return;
    const idx = this.idx, val = this.val;
    let j = this.filled === k ? k - 1 : this.filled++;
    // Strictly greater moves ahead, so earlier candidates win ties.
    while (j > 0 && s > val[j - 1]!) {
      if (j < k) {
        idx[j] = idx[j - 1]!;
        val[j] = val[j - 1]!;
      }
      j--;
    }
    idx[j] = i;
    val[j] = s;
    if (this.filled === k) this.last = val[k - 1]!;
  }

  /** The indices offered with the best scores, best first. */
  result(): number[] {
    return this.idx.slice(0, this.filled);
  }
}

/** The k-th largest value of a (which it reorders): quickselect (Hoare 1961, "Algorithm 65: Find"), O(n) expected. */
function kthLargest(a: Float64Array, k: number): number {
  let lo = 0, hi = a.length - 1;
  const target = k - 1; // index in descending order
  while (lo < hi) {
    // median of three as pivot
    const mid = (lo + hi) >> 1;
    const x = a[lo]!, y = a[mid]!, z = a[hi]!;
    const pivot = x > y ? (y > z ? y : x > z ? z : x) : x > z ? x : y > z ? z : y;
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target]!;
  }
  return a[target]!;
}

/**
 * The same indices as topK, in input order instead of best first (no sort): the k highest scores, ties at the k-th
 * broken by input order. O(n): a histogram of the scores in 256 equal bins between their least and largest finds the
 * bin of the k-th largest, and a quickselect among that bin's scores only finds its value (the bin of a score never
 * decreases as the score grows, so every score in a higher bin is larger). 0.65-0.8x the time of a quickselect over all
 * n for the top 100 of 1,000.
 */
export function topKSet(scores: Float64Array, k: number): number[] {
  const n = scores.length;
  if (k <= 0) return [];
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    if (s < min) min = s;
    if (s > max) max = s;
  }
  const B = TOP_BINS;
  const scale = max > min && Number.isFinite(max - min) ? B / (max - min) : 0;
  if (binScratch.length < n) binScratch = new Uint8Array(Math.max(n, 2 * binScratch.length));
  const bins = binScratch, hist = histScratch.fill(0);
  for (let i = 0; i < n; i++) {
    // (s - min) * scale is in [0, B]: truncation is the floor, and only the largest score can reach B
    let b = ((scores[i]! - min) * scale) | 0;
    if (b > B - 1) b = B - 1;
    bins[i] = b;
    hist[b]!++;
  }
  // the bin of the k-th largest, and how many scores lie in the bins above it
  let bin = B - 1, above = 0;
  while (above + hist[bin]! < k) above += hist[bin--]!;
  if (binValues.length < hist[bin]!) binValues = new Float64Array(Math.max(hist[bin]!, 2 * binValues.length));
  const inBin = binValues.subarray(0, hist[bin]!);
  for (let i = 0, j = 0; i < n; i++) if (bins[i] === bin) inBin[j++] = scores[i]!;
  const v = kthLargest(inBin, k - above);
  let greater = above;
  for (let j = 0; j < inBin.length; j++) if (inBin[j]! > v) greater++;
  let ties = k - greater;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const b = bins[i]!;
    if (b > bin || (b === bin && (scores[i]! > v || (scores[i] === v && ties-- > 0)))) out.push(i);
  }
  return out;
}

/**
 * topKSet's histogram and its scratch, kept between calls (a decision allocating three typed arrays spent about 4 us
 * on it, as long as the histogram pass itself).
 */
const TOP_BINS = 256;
const histScratch = new Int32Array(TOP_BINS);
let binScratch = new Uint8Array(0);
let binValues = new Float64Array(0);

function topKSelect(scores: ArrayLike<number>, k: number): number[] {
  const n = scores.length;
  const copy = new Float64Array(n);
  for (let i = 0; i < n; i++) copy[i] = scores[i]!;
  const v = kthLargest(copy, k);
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (scores[i]! > v) out.push(i);
  // Ties at the threshold: earliest first, as many as there is room for.
  for (let i = 0; i < n && out.length < k; i++) if (scores[i] === v) out.push(i);
  return out.sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/** Float64Array of fn over xs, by a plain loop (Float64Array.from with a map function is not optimized by V8). */
export function mapToFloat64<T>(xs: ArrayLike<T>, fn: (x: T, i: number) => number): Float64Array {
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = fn(xs[i]!, i);
  return out;
}

/** The candidates' scores in input order, unchecked. */
export function scoresOf(candidates: Candidates): Float64Array {
  if (isCandidateColumns(candidates)) return Float64Array.from(candidates.scores);
  const s = new Float64Array(candidates.length);
  for (let i = 0; i < candidates.length; i++) s[i] = candidates[i]!.score;
  return s;
}

/**
 * The scores of checked candidates (checkCandidateList), each checked to be finite (the error names the first that is
 * not), into `into` (a view of its first n entries is returned) when it is long enough, a new array otherwise.
 */
export function checkedScores(fn: string, candidates: Candidates, into?: Float64Array): Float64Array {
  checkCandidateList(fn, candidates);
  const n = candidateCount(candidates);
  const s = into && into.length >= n ? into.subarray(0, n) : new Float64Array(n);
  if (isCandidateColumns(candidates)) {
    const given = candidates.scores;
    for (let i = 0; i < n; i++) {
      const x = given[i]!;
      if (!Number.isFinite(x)) throw scoreError(fn, i, x, true);
      s[i] = x;
    }
  } else
    for (let i = 0; i < n; i++) {
      const x = candidates[i]!.score;
      if (!Number.isFinite(x)) throw scoreError(fn, i, x);
      s[i] = x;
    }
  return s;
}

/** Greedy position (1-based) of each index in `top`, as a map from candidate index. */
export function greedyPositions(top: readonly number[]): Map<number, number> {
  const m = new Map<number, number>();
  top.forEach((i, j) => m.set(i, j + 1));
  return m;
}

/**
 * A uniformly random ordered sample of k distinct indices from 0..n-1 (partial Fisher-Yates on a sparse map,
 * O(k) time and memory; Knuth, TAOCP vol. 2, algorithm 3.4.2P).
 */
export function sampleWithoutReplacement(n: number, k: number, rng: Rng): number[] {
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let j = 0; j < k; j++) {
    const r = j + rng.int(n - j);
    const vr = swapped.get(r) ?? r;
    const vj = swapped.get(j) ?? j;
    swapped.set(r, vj);
    out.push(vr);
  }
  return out;
}

/** Throws when two shown entries name the same item (the candidates were not distinct). */
/**
 * The shown items' ids are distinct, and ids the event contract takes (text of 1 to 128 characters without control
 * characters): checked on the few shown, not on every candidate, so that a policy never returns a slate the server
 * would refuse, at no cost per candidate.
 */
export function checkDistinctShown(fn: string, shown: readonly ShownSlot[]): void {
  for (let a = 0; a < shown.length; a++) {
    const id = shown[a]!.item_id as unknown;
    if (typeof id !== 'string' || id.length === 0 || id.length > LIMITS.idLength || /[\u0000-\u001f]/.test(id))
      throw new RangeError(
        `${fn}: candidate item_id ${JSON.stringify(id)} is not an id the event contract takes: text of 1 to ${LIMITS.idLength} characters without control characters`,
      );
    for (let b = 0; b < a; b++)
      if (shown[a]!.item_id === shown[b]!.item_id)
        throw new RangeError(`${fn}: item ${JSON.stringify(shown[a]!.item_id)} appears twice among the candidates; candidates must be distinct`);
  }
}

/** The smallest propensity a policy logs: exact values below it (never seen in practice) are raised to it. */
export const MIN_PROPENSITY = LIMITS.minPropensity;

export function clampPropensity(p: number): number {
  return p < MIN_PROPENSITY ? MIN_PROPENSITY : p > 1 ? 1 : p;
}

/**
 * A deterministic slate: the greedy top-k with propensity 1 (the event contract's rule for a deterministic policy).
 * For the holdout's non-personalized ranking (strategy 'holdout', the default here) or a fallback.
 */
export function greedySlate(candidates: Candidates, options: { slateSize: number; strategy?: PolicyStrategy }): Slate {
  const scores = checkedScores('greedySlate', candidates);
  checkSlateSize('greedySlate', options.slateSize);
  const shown = topK(scores, options.slateSize).map((i, j) => ({
    item_id: idOf(candidates, i),
    position: j + 1,
    propensity: 1,
    explored: false,
    score: scores[i]!,
  }));
  checkDistinctShown('greedySlate', shown);
  return { shown, strategy: strategyOf('greedySlate', options.strategy, 'holdout') };
}
