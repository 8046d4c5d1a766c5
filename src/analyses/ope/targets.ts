/**
 * Target policies of `ope`, and their action distributions on the logged rounds.
 *
 * - uniform: pi_e(a | x, position) = 1 / K_logged for every action that appears in the logs, at every position (Open
 *   Bandit Pipeline's uniform random policy on the Open Bandit Dataset: action_dist[n, a, position] = 1 / n_actions).
 * - table: probabilities per (round, action, position) from a file or request body (target-table.ts).
 * - function: a TypeScript function of the round (library API), returning pi_e(. | round, position) as an array
 *   aligned with `actions` or as an object { actionId: probability } (absent actions get 0).
 *
 * The result is the n x K row-major matrix the estimators take: row i = pi_e(. | x_i, position_i).
 */
import { UserError } from '../../errors.js';
import type { LoggedRounds } from './rounds.js';
import { rowKey, type TargetTable } from './target-table.js';
import type { TargetPolicy } from './types.js';
import { MAX_DENSE_CELLS, PROB_SUM_TOLERANCE } from './validate.js';

/** What a target-policy function sees of a logged round. */
export interface RoundView {
  /** 0-based round (decision) index, as in --target-probs files. */
  round: number;
  requestId: string;
  /** The position as logged (e.g. 1, 2, 3). */
  position: number;
  /** Action ids; an array answer is aligned with them. */
  actions: readonly string[];
  /** The decision's attributes (when the analysis read them: with `context` or a predictions column), else {}. */
  attributes: Readonly<Record<string, unknown>>;
  /** The --context features of the round, by name. */
  context: Readonly<Record<string, number>>;
}

export type TargetFunction = (round: RoundView) => ArrayLike<number> | Readonly<Record<string, number>>;

export type TargetSpec =
  | { kind: 'uniform'; name?: string }
  | { kind: 'table'; name: string; table: TargetTable }
  /**
   * `attributes: false` says the function never reads the round's attributes, which are then not fetched.
   * `sameForEveryRound: true` says its answer depends on nothing of the round but `actions` (not its context,
   * position or attributes): it is then called once, for the first round, and that distribution serves every round.
   */
  | { kind: 'function'; name: string; fn: TargetFunction; attributes?: boolean; sameForEveryRound?: boolean };

export function targetName(spec: TargetSpec): string {
  return spec.kind === 'uniform' ? (spec.name ?? 'uniform') : spec.name;
}

/** Action ids a target names that the logs may not contain. */
export function targetActions(spec: TargetSpec): string[] {
  return spec.kind === 'table' ? spec.table.actions : [];
}

function checkRow(label: string, r: LoggedRounds, d: number, position: number, probs: Float64Array, o: number, K: number): void {
  let s = 0;
  for (let a = 0; a < K; a++) {
    const p = probs[o + a]!;
    if (!(p >= 0 && p <= 1)) {
      throw new UserError(`${label}: the probability of action '${r.actions[a]}' in round ${d} at position ${position} is ${p}, not a number in [0, 1]`);
    }
    s += p;
  }
  if (Math.abs(s - 1) > PROB_SUM_TOLERANCE) {
    throw new UserError(
      `${label}: the probabilities of round ${d} (request ${r.requestIds[d]}) at position ${position} sum to ${+s.toPrecision(12)}, not 1 (tolerance ${PROB_SUM_TOLERANCE})`,
    );
  }
}

function checkTableRounds(t: TargetTable, r: LoggedRounds): void {
  if (t.key === 'round' && t.maxRound >= r.nDecisions) {
    throw new UserError(
      `${t.source}: round ${t.maxRound} (line ${[...t.lines].find(([k]) => k.startsWith(`${t.maxRound}\u0000`))?.[1]}) is beyond the ${r.nDecisions} logged rounds (0..${r.nDecisions - 1}); was the table made for other logs or another time range?`,
    );
  }
}

/** The table's distribution of decision d at a position (as logged), or a UserError naming what is missing. */
function tableRow(t: TargetTable, r: LoggedRounds, d: number, position: number): Float64Array {
  const id = t.key === 'round' ? d : r.requestIds[d]!;
  const row = t.rows.get(rowKey(id, position)) ?? t.rows.get(rowKey(id, null));
  if (row === undefined) {
    throw new UserError(
      `${t.source}: no probabilities for ${t.key === 'round' ? `round ${d}` : `request_id ${id}`} at position ${position}; every logged round needs its target distribution`,
    );
  }
  return row;
}

const count = (x: number): string => x.toLocaleString('en-US');

/**
 * Refuses, with a UserError naming the sizes and what to do, an n x K matrix larger than MAX_DENSE_CELLS: `what` is
 * e.g. "target 'v2'", `why` how to avoid the matrix altogether.
 */
export function checkDenseSize(what: string, n: number, K: number, why: string): void {
  const cells = n * K;
  if (cells <= MAX_DENSE_CELLS) return;
  const gb = (cells * 8) / 1e9;
  throw new UserError(
    `${what}: ${count(n)} rounds x ${count(K)} actions = ${count(cells)} numbers (${gb >= 10 ? Math.round(gb) : +gb.toPrecision(2)} GB), more than the ${count(MAX_DENSE_CELLS)} (1 GiB) ope holds in memory; narrow the rounds with --since/--until or --policy-version, evaluate on a sample of the logs, or ${why}`,
  );
}

/** Why a target is held as an n x K matrix, and how to avoid it (for `checkDenseSize`). */
export const DENSE_TARGET_ADVICE = 'give a target that is the same on every round (uniform, or a function declared sameForEveryRound)';

/** Whether `targetPolicy` holds this target as an n x K matrix (else as one shared row). */
export function isDenseTarget(spec: TargetSpec): boolean {
  return !(spec.kind === 'uniform' || (spec.kind === 'function' && !!spec.sameForEveryRound));
}

/** pi_e(. | x_i, position_i) for every logged row, row-major n x K. */
export function targetProbabilities(spec: TargetSpec, r: LoggedRounds): Float64Array {
  const K = r.actions.length;
  const n = r.n;
  checkDenseSize(`target '${targetName(spec)}'`, n, K, DENSE_TARGET_ADVICE);
  const probs = new Float64Array(n * K);
  const name = targetName(spec);
  if (spec.kind === 'uniform') {
    const p = 1 / r.nLogged;
    for (let i = 0; i < n; i++) probs.fill(p, i * K, i * K + r.nLogged);
    return probs;
  }
  if (spec.kind === 'table') {
    const t = spec.table;
    checkTableRounds(t, r);
    const cols = t.actions.map((a) => r.actions.indexOf(a));
    for (let i = 0; i < n; i++) {
      const row = tableRow(t, r, r.decision[i]!, r.positions[r.position[i]!]!);
      const o = i * K;
      for (let j = 0; j < cols.length; j++) probs[o + cols[j]!] = row[j]!;
    }
    return probs;
  }
  return perRoundVectors(r, spec.fn, `target '${name}'`, true);
}

/**
 * The target as the estimators take it (types.ts TargetPolicy). One that is the same on every round (uniform, or a
 * function declared `sameForEveryRound`) is one shared row with `rowOf` all 0, O(K) instead of the O(n K) of n equal
 * rows; every other target is `targetProbabilities`' n x K matrix. The probabilities are the same either way.
 */
export function targetPolicy(spec: TargetSpec, r: LoggedRounds): TargetPolicy {
  const K = r.actions.length;
  if (spec.kind === 'uniform' && r.n > 0) {
    const row = new Float64Array(K);
    row.fill(1 / r.nLogged, 0, r.nLogged);
    return { probs: row, rowOf: new Int32Array(r.n) };
  }
  if (spec.kind === 'function' && spec.sameForEveryRound && r.n > 0) {
    const row = new Float64Array(K);
    const index = new Map(r.actions.map((a, k) => [a, k]));
    callInto(r, spec.fn, `target '${spec.name}'`, true, 0, r.positions[r.position[0]!]!, row, 0, index, r.contextNames);
    return { probs: row, rowOf: new Int32Array(r.n) };
  }
  return { probs: targetProbabilities(spec, r) };
}

/**
 * Calls `fn` on every logged row and collects its answers as a row-major n x K matrix: an array aligned with
 * `r.actions` or an object { actionId: value } (absent actions 0). With `probabilities`, each row must be a
 * distribution (entries in [0, 1] summing to 1 within 1e-6); otherwise any finite values.
 */
export function perRoundVectors(r: LoggedRounds, fn: TargetFunction, label: string, probabilities: boolean): Float64Array {
  const K = r.actions.length;
  const n = r.n;
  checkDenseSize(label, n, K, probabilities ? DENSE_TARGET_ADVICE : 'let ope fit its reward model, which needs no such matrix');
  const out = new Float64Array(n * K);
  const index = new Map(r.actions.map((a, k) => [a, k]));
  for (let i = 0; i < n; i++) {
    callInto(r, fn, label, probabilities, i, r.positions[r.position[i]!]!, out, i * K, index, r.contextNames);
  }
  return out;
}

/** Calls `fn` for row i's round at `position` and writes its checked answer to out[o .. o + K). */
function callInto(
  r: LoggedRounds,
  fn: TargetFunction,
  label: string,
  probabilities: boolean,
  i: number,
  position: number,
  out: Float64Array,
  o: number,
  index: Map<string, number>,
  ctxNames: string[],
): void {
  const K = r.actions.length;
  const dim = ctxNames.length;
  const what = probabilities ? 'probabilities' : 'values';
  const d = r.decision[i]!;
  {
    const context: Record<string, number> = {};
    for (let k = 0; k < dim; k++) context[ctxNames[k]!] = r.context![i * dim + k]!;
    let answer: ArrayLike<number> | Readonly<Record<string, number>>;
    try {
      answer = fn({ round: d, requestId: r.requestIds[d]!, position, actions: r.actions, attributes: r.attributes?.[d] ?? {}, context });
    } catch (err) {
      throw new UserError(`${label}: the function failed on round ${d}: ${(err as Error).message}`);
    }
    if (answer !== null && typeof answer === 'object' && typeof (answer as ArrayLike<number>).length === 'number') {
      const arr = answer as ArrayLike<number>;
      if (arr.length !== K) throw new UserError(`${label}: the function returned ${arr.length} ${what} for round ${d}, expected ${K} (one per action)`);
      for (let a = 0; a < K; a++) out[o + a] = Number(arr[a]);
    } else if (answer !== null && typeof answer === 'object') {
      for (const [a, p] of Object.entries(answer)) {
        const k = index.get(a);
        if (k === undefined) throw new UserError(`${label}: the function named action '${a}' in round ${d}, which is not among the ${K} actions`);
        out[o + k] = Number(p);
      }
    } else throw new UserError(`${label}: the function must return an array of ${what} or an object {action: value} (round ${d})`);
    if (probabilities) checkRow(label, r, d, position, out, o, K);
    else
      for (let a = 0; a < K; a++)
        if (!Number.isFinite(out[o + a]!)) throw new UserError(`${label}: the value for action '${r.actions[a]}' in round ${d} is ${out[o + a]}, not a finite number`);
  }
}

/**
 * For slates: pi(item of row j at position k | x) for every logged row j and every logged position k, row-major
 * n x L (the marginals the slate estimators take). For a table, the rows of (round, position) give them; for a
 * function, it is called once per (round, position).
 */
export function slateMarginals(spec: TargetSpec, r: LoggedRounds): Float64Array {
  const L = r.positions.length;
  const K = r.actions.length;
  const n = r.n;
  const out = new Float64Array(n * L);
  if (spec.kind === 'uniform') {
    const p = 1 / r.nLogged;
    for (let j = 0; j < n; j++) if (r.action[j]! < r.nLogged) out.fill(p, j * L, j * L + L);
    return out;
  }
  if (spec.kind === 'table') {
    const t = spec.table;
    checkTableRounds(t, r);
    const col = new Map(t.actions.map((a, c) => [a, c]));
    for (let j = 0; j < n; j++) {
      const c = col.get(r.actions[r.action[j]!]!);
      for (let k = 0; k < L; k++) out[j * L + k] = c === undefined ? 0 : tableRow(t, r, r.decision[j]!, r.positions[k]!)[c]!;
    }
    return out;
  }
  const label = `target '${spec.name}'`;
  const index = new Map(r.actions.map((a, k) => [a, k]));
  const vec = new Float64Array(L * K);
  let first = 0;
  for (let j = 0; j < n; j++) {
    if (j === 0 || r.decision[j] !== r.decision[j - 1]) {
      first = j;
      for (let k = 0; k < L; k++) callInto(r, spec.fn, label, true, first, r.positions[k]!, vec, k * K, index, r.contextNames);
    }
    for (let k = 0; k < L; k++) out[j * L + k] = vec[k * K + r.action[j]!]!;
  }
  return out;
}
