/**
 * Input checks shared by every OPE function. Bad input throws a RangeError that names the function, the field and,
 * where there is one, the first offending round, so that a user can find the row in their log.
 */
import type { LoggedBandit, LoggedSlates, RewardModel, SlateTargetPolicy, TargetPolicy } from './types.js';

/** Tolerance on sum_a pi_e(a | x_i) = 1. */
export const PROB_SUM_TOLERANCE = 1e-6;

/**
 * Largest n x K matrix (of target probabilities or reward predictions) the OPE layer materialises: 2^27 numbers,
 * 1 GiB. Targets that are the same on every round and the fitted reward model never need one.
 */
export const MAX_DENSE_CELLS = 2 ** 27;

function checkCount(fn: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${fn}: ${name} must be an integer >= ${min}, got ${v}`);
}

function checkLength(fn: string, name: string, actual: number, expected: number, shape: string): void {
  if (actual !== expected) {
    throw new RangeError(`${fn}: ${name} has length ${actual}, expected ${expected} (${shape})`);
  }
}

/**
 * Largest |reward|. Summed over the rounds, rewards near 1e308 overflowed to Infinity even at weight 1, and every
 * estimate came out null with no verdict saying so; 1e100 leaves room for importance weights up to 1e200 on a billion
 * rounds (far beyond any real reward: rescale units instead).
 */
export const MAX_REWARD = 1e100;
const rewardTooLarge = (fn: string, i: number, r: number) =>
  `${fn}: reward[${i}] = ${r} is larger in magnitude than ${MAX_REWARD}, beyond which the weighted sums overflow; rescale the rewards (e.g. to seconds or thousands)`;

/** Checks sizes, actions, rewards, propensities and (if present) context of logged bandit data. */
export function validateLoggedBandit(fn: string, data: LoggedBandit): void {
  checkCount(fn, 'n', data.n, 1);
  checkCount(fn, 'nActions', data.nActions, 1);
  const { n, nActions: K } = data;
  checkLength(fn, 'action', data.action.length, n, 'one per round');
  checkLength(fn, 'reward', data.reward.length, n, 'one per round');
  checkLength(fn, 'pscore', data.pscore.length, n, 'one per round');
  for (let i = 0; i < n; i++) {
    const a = data.action[i]!;
    if (a < 0 || a >= K) throw new RangeError(`${fn}: action[${i}] = ${a} is outside 0..${K - 1}`);
    const r = data.reward[i]!;
    if (!Number.isFinite(r)) throw new RangeError(`${fn}: reward[${i}] = ${r} is not a finite number`);
    if (Math.abs(r) > MAX_REWARD) throw new RangeError(rewardTooLarge(fn, i, r));
    const p = data.pscore[i]!;
    if (!(p > 0 && p <= 1)) throw new RangeError(`${fn}: pscore[${i}] = ${p} is outside (0, 1]`);
  }
  if (data.context !== undefined) {
    const d = data.dim;
    if (d === undefined) throw new RangeError(`${fn}: dim is required when context is given`);
    checkCount(fn, 'dim', d, 0);
    checkLength(fn, 'context', data.context.length, n * d, `n x dim = ${n} x ${d}, row-major`);
    for (let j = 0; j < data.context.length; j++) {
      const x = data.context[j]!;
      if (!Number.isFinite(x)) {
        throw new RangeError(`${fn}: context[${Math.floor(j / d)}][${j % d}] = ${x} is not a finite number`);
      }
    }
  } else if (data.dim !== undefined && data.dim !== 0) {
    throw new RangeError(`${fn}: dim = ${data.dim} but no context was given`);
  }
}

/**
 * Checks that target.probs is n x K (or, with target.rowOf, rows x K with one row index per round) with entries in
 * [0, 1] and rows summing to 1 within 1e-6.
 */
export function validateTarget(fn: string, data: LoggedBandit, target: TargetPolicy): void {
  const { n, nActions: K } = data;
  const { probs, rowOf } = target;
  let rows = n;
  if (rowOf === undefined) checkLength(fn, 'target.probs', probs.length, n * K, `n x K = ${n} x ${K}, row-major`);
  else {
    checkLength(fn, 'target.rowOf', rowOf.length, n, 'one per round');
    rows = Math.floor(probs.length / K);
    checkLength(fn, 'target.probs', probs.length, rows * K, `rows x K with K = ${K}, row-major`);
    for (let i = 0; i < n; i++) {
      const j = rowOf[i]!;
      if (!(j >= 0 && j < rows)) throw new RangeError(`${fn}: target.rowOf[${i}] = ${j} is outside 0..${rows - 1}`);
    }
  }
  // Two running sums per row and one test per pair of entries (an entry outside [0, 1], or NaN, fails it), so the
  // loop does not wait on one chain of additions; the offending entry is looked for only when a pair fails.
  for (let i = 0; i < rows; i++) {
    let s0 = 0;
    let s1 = 0;
    const o = i * K;
    let a = 0;
    for (; a + 1 < K; a += 2) {
      const p = probs[o + a]!;
      const r = probs[o + a + 1]!;
      if (!(p >= 0 && p <= 1 && r >= 0 && r <= 1)) badProb(fn, probs, i, o, a);
      s0 += p;
      s1 += r;
    }
    if (a < K) {
      const p = probs[o + a]!;
      if (!(p >= 0 && p <= 1)) badProb(fn, probs, i, o, a);
      s0 += p;
    }
    const s = s0 + s1;
    if (Math.abs(s - 1) > PROB_SUM_TOLERANCE) {
      throw new RangeError(`${fn}: target.probs row ${i} sums to ${s}, not 1 (tolerance ${PROB_SUM_TOLERANCE})`);
    }
  }
}

const CHUNK = 1 << 16;

/** sum of (v - v) over q[from, to): 0 when every entry is finite, NaN otherwise; four sums, so no chain of additions. */
function nonFiniteSum(q: Float64Array, from: number, to: number): number {
  let z0 = 0, z1 = 0, z2 = 0, z3 = 0;
  let j = from;
  for (; j + 3 < to; j += 4) {
    z0 += q[j]! - q[j]!;
    z1 += q[j + 1]! - q[j + 1]!;
    z2 += q[j + 2]! - q[j + 2]!;
    z3 += q[j + 3]! - q[j + 3]!;
  }
  for (; j < to; j++) z0 += q[j]! - q[j]!;
  return z0 + z1 + z2 + z3;
}

function badProb(fn: string, probs: Float64Array, i: number, o: number, a: number): never {
  const b = probs[o + a]! >= 0 && probs[o + a]! <= 1 ? a + 1 : a;
  throw new RangeError(`${fn}: target.probs[${i}][${b}] = ${probs[o + b]} is outside [0, 1]`);
}

/**
 * Checks that a reward model is n x K and finite, or, given as per-round terms, that they are of these n rounds and
 * K actions (their values are checked where they are computed).
 */
export function validateRewardModel(fn: string, data: LoggedBandit, q: RewardModel): void {
  const { n, nActions: K } = data;
  if (!(q instanceof Float64Array)) {
    if (q.n !== n || q.nActions !== K) {
      throw new RangeError(`${fn}: rewardModel terms are of ${q.n} rounds x ${q.nActions} actions, expected n x K = ${n} x ${K}`);
    }
    return;
  }
  checkLength(fn, 'rewardModel', q.length, n * K, `n x K = ${n} x ${K}, row-major q_hat(x_i, a)`);
  // v - v is 0 for a finite v and NaN otherwise, and a NaN stays in a sum: sums over chunks of the array, then, only
  // if one is NaN, the search for the first offending entry. (A small function called per chunk is optimised whole
  // after a few calls; one long loop would run as on-stack-replaced code, several times slower on Node 20.)
  let z = 0;
  for (let from = 0; from < q.length; from += CHUNK) z += nonFiniteSum(q, from, Math.min(q.length, from + CHUNK));
  if (z === 0) return;
  const L = q.length;
  for (let j = 0; j < L; j++) {
    const v = q[j]!;
    if (!Number.isFinite(v)) {
      throw new RangeError(`${fn}: rewardModel[${Math.floor(j / K)}][${j % K}] = ${v} is not a finite number`);
    }
  }
}

/** Checks a two-sided confidence level. */
export function validateConfidence(fn: string, confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`${fn}: confidence must be in (0, 1), got ${confidence}`);
  }
}

/** Checks a non-negative hyper-parameter (Infinity allowed, NaN not). */
export function validateNonNegative(fn: string, name: string, v: number): void {
  if (!(v >= 0)) throw new RangeError(`${fn}: ${name} must be >= 0 (Infinity allowed), got ${v}`);
}

/** Checks the layout, items, positions, rewards and propensities of logged slates. */
export function validateLoggedSlates(fn: string, data: LoggedSlates): void {
  checkCount(fn, 'nSlates', data.nSlates, 1);
  checkCount(fn, 'nActions', data.nActions, 1);
  checkCount(fn, 'nPositions', data.nPositions, 1);
  const { nSlates, nActions: K, nPositions: L, offsets } = data;
  checkLength(fn, 'offsets', offsets.length, nSlates + 1, 'nSlates + 1');
  if (offsets[0] !== 0) throw new RangeError(`${fn}: offsets[0] must be 0, got ${offsets[0]}`);
  const rows = offsets[nSlates]!;
  for (let s = 0; s < nSlates; s++) {
    if (offsets[s + 1]! < offsets[s]!) throw new RangeError(`${fn}: offsets decrease at slate ${s}`);
  }
  checkLength(fn, 'action', data.action.length, rows, 'one per row');
  checkLength(fn, 'position', data.position.length, rows, 'one per row');
  checkLength(fn, 'reward', data.reward.length, rows, 'one per row');
  checkLength(fn, 'pscore', data.pscore.length, rows, 'one per row');
  const used = new Int32Array(L).fill(-1);
  for (let s = 0; s < nSlates; s++) {
    for (let j = offsets[s]!; j < offsets[s + 1]!; j++) {
      const a = data.action[j]!;
      if (!(a >= 0 && a < K)) throw new RangeError(`${fn}: action[${j}] = ${a} is outside 0..${K - 1}`);
      const k = data.position[j]!;
      if (!(k >= 0 && k < L)) throw new RangeError(`${fn}: position[${j}] = ${k} is outside 0..${L - 1}`);
      if (used[k] === s) throw new RangeError(`${fn}: slate ${s} has two rows at position ${k}`);
      used[k] = s;
      if (!Number.isFinite(data.reward[j]!)) throw new RangeError(`${fn}: reward[${j}] = ${data.reward[j]} is not a finite number`);
      if (Math.abs(data.reward[j]!) > MAX_REWARD) throw new RangeError(rewardTooLarge(fn, j, data.reward[j]!));
      const p = data.pscore[j]!;
      if (!(p > 0 && p <= 1)) throw new RangeError(`${fn}: pscore[${j}] = ${p} is outside (0, 1]`);
    }
  }
  if (data.loggingMarginals !== undefined) {
    const m = data.loggingMarginals;
    checkLength(fn, 'loggingMarginals', m.length, rows * L, `rows x L = ${rows} x ${L}, row-major`);
    for (let j = 0; j < rows; j++) {
      for (let k = 0; k < L; k++) {
        const p = m[j * L + k]!;
        if (!(p >= 0 && p <= 1)) throw new RangeError(`${fn}: loggingMarginals[${j}][${k}] = ${p} is outside [0, 1]`);
      }
      const own = m[j * L + data.position[j]!]!;
      if (Math.abs(own - data.pscore[j]!) > 1e-9 * Math.max(1, data.pscore[j]!)) {
        throw new RangeError(`${fn}: loggingMarginals[${j}][${data.position[j]}] = ${own} differs from pscore[${j}] = ${data.pscore[j]} (the same probability)`);
      }
    }
  }
}

/** Checks that target marginals are rows x L in [0, 1]. */
export function validateSlateTarget(fn: string, data: LoggedSlates, target: SlateTargetPolicy): void {
  const rows = data.offsets[data.nSlates]!;
  const L = data.nPositions;
  checkLength(fn, 'target.marginals', target.marginals.length, rows * L, `rows x L = ${rows} x ${L}, row-major`);
  for (let j = 0; j < rows * L; j++) {
    const p = target.marginals[j]!;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`${fn}: target.marginals[${Math.floor(j / L)}][${j % L}] = ${p} is outside [0, 1]`);
  }
}
