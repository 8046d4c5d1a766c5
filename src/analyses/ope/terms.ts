/**
 * Per-round building blocks shared by the estimators, and the normal-approximation summary of `RoundTerms`.
 *
 * Notation (Open Bandit Pipeline, Saito et al. 2021): w_i = pi_e(a_i | x_i) / pi_b(a_i | x_i) is the importance weight of
 * round i, q_hat(x_i, pi_e) = sum_a pi_e(a | x_i) q_hat(x_i, a) the model's value of pi_e on context x_i, and
 * q_hat(x_i, a_i) the model's prediction for the logged action.
 */
import { normalQuantile } from '../../stats/normal.js';
import type { Estimate, LoggedBandit, RewardModel, RewardPredictions, RoundTerms, TargetPolicy } from './types.js';

/** w_i = pi_e(a_i | x_i) / pscore_i (inputs assumed validated). */
export function importanceWeights(data: LoggedBandit, target: TargetPolicy): Float64Array {
  const { n, nActions: K, action, pscore } = data;
  const { probs, rowOf } = target;
  const w = new Float64Array(n);
  if (rowOf === undefined) for (let i = 0; i < n; i++) w[i] = probs[i * K + action[i]!]! / pscore[i]!;
  else for (let i = 0; i < n; i++) w[i] = probs[rowOf[i]! * K + action[i]!]! / pscore[i]!;
  return w;
}

/** q_hat(x_i, pi_e) = sum_a pi_e(a | x_i) q_hat(x_i, a). */
export function directMethodTerms(data: LoggedBandit, target: TargetPolicy, q: RewardPredictions): Float64Array {
  const { n, nActions: K } = data;
  const { probs, rowOf } = target;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * K;
    const t = (rowOf === undefined ? i : rowOf[i]!) * K;
    for (let a = 0; a < K; a++) s += probs[t + a]! * q[o + a]!;
    out[i] = s;
  }
  return out;
}

/**
 * w_i, q_hat(x_i, pi_e) and r_i - q_hat(x_i, a_i) in one pass over the rows of the target and the model: the same
 * numbers as importanceWeights, directMethodTerms and factualResiduals, bit for bit, but each round's two gathers
 * (the logged action's probability and prediction) land in rows that the dot product has just read, instead of
 * missing the cache once per round each.
 */
export function roundQuantities(data: LoggedBandit, target: TargetPolicy, q: RewardPredictions): { w: Float64Array; dm: Float64Array; resid: Float64Array } {
  const { n, nActions: K, action, pscore, reward } = data;
  const { probs, rowOf } = target;
  const w = new Float64Array(n);
  const dm = new Float64Array(n);
  const resid = new Float64Array(n);
  // In chunks of rows: a small function called per chunk is optimised whole after a few calls, where one long loop
  // would run as on-stack-replaced code, which is several times slower on Node 20.
  const chunk = Math.max(1, Math.floor(65536 / K));
  for (let from = 0; from < n; from += chunk) {
    roundQuantityRows(K, action, pscore, reward, probs, rowOf, q, w, dm, resid, from, Math.min(n, from + chunk));
  }
  return { w, dm, resid };
}

function roundQuantityRows(
  K: number,
  action: Int32Array,
  pscore: Float64Array,
  reward: Float64Array,
  probs: Float64Array,
  rowOf: Int32Array | undefined,
  q: RewardPredictions,
  w: Float64Array,
  dm: Float64Array,
  resid: Float64Array,
  from: number,
  to: number,
): void {
  for (let i = from; i < to; i++) {
    let s = 0;
    const o = i * K;
    const t = (rowOf === undefined ? i : rowOf[i]!) * K;
    for (let a = 0; a < K; a++) s += probs[t + a]! * q[o + a]!;
    dm[i] = s;
    const ai = action[i]!;
    w[i] = probs[t + ai]! / pscore[i]!;
    resid[i] = reward[i]! - q[o + ai]!;
  }
}

/** Residual of the model on the logged action, r_i - q_hat(x_i, a_i). */
export function factualResiduals(data: LoggedBandit, q: RewardPredictions): Float64Array {
  const { n, nActions: K, action, reward } = data;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = reward[i]! - q[i * K + action[i]!]!;
  return out;
}

/**
 * Lazily computed, memoised per-round quantities of one (data, target, rewardModel) triple, so that a set of
 * estimators computes w_i, q_hat(x_i, pi_e) and r_i - q_hat(x_i, a_i) once. Inputs are assumed validated.
 * The reward model is either the n x K predictions or their per-round terms (types.ts RewardModelTerms, which never
 * hold n x K numbers); both give the same arrays, bit for bit. The arrays are shared: estimators must not modify them.
 */
export class SharedTerms {
  private w: Float64Array | undefined;
  private dm: Float64Array | undefined;
  private resid: Float64Array | undefined;
  constructor(
    readonly data: LoggedBandit,
    readonly target: TargetPolicy,
    readonly rewardModel: RewardModel | undefined,
  ) {}
  weights(): Float64Array {
    this.firstPass();
    return (this.w ??= importanceWeights(this.data, this.target));
  }
  /** q_hat(x_i, pi_e); needs the reward model. */
  directMethod(): Float64Array {
    this.firstPass();
    if (this.dm === undefined) {
      const m = this.model();
      this.dm = m instanceof Float64Array ? directMethodTerms(this.data, this.target, m) : m.policyValue(this.target);
    }
    return this.dm;
  }
  /** r_i - q_hat(x_i, a_i); needs the reward model. */
  residuals(): Float64Array {
    this.firstPass();
    if (this.resid === undefined) {
      const m = this.model();
      if (m instanceof Float64Array) this.resid = factualResiduals(this.data, m);
      else {
        const { n, reward } = this.data;
        const qa = m.factual();
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = reward[i]! - qa[i]!;
        this.resid = out;
      }
    }
    return this.resid;
  }
  /**
   * With an n x K reward model and none of the three arrays computed yet, all three in one pass (roundQuantities);
   * otherwise each is computed alone when first asked for.
   */
  private firstPass(): void {
    if (this.w !== undefined || this.dm !== undefined || this.resid !== undefined || !(this.rewardModel instanceof Float64Array)) return;
    const { w, dm, resid } = roundQuantities(this.data, this.target, this.rewardModel);
    this.w = w;
    this.dm = dm;
    this.resid = resid;
  }
  private model(): RewardModel {
    if (this.rewardModel === undefined) throw new RangeError('SharedTerms: no reward model given');
    return this.rewardModel;
  }
}

export interface TermsSummary {
  value: number;
  se: number;
  /** Centred influence terms psi_i (mean 0), value's linearisation: value - V ~ mean(psi). */
  influence: Float64Array;
}

/**
 * Point value and standard error of `RoundTerms`.
 *
 * value = A + R with A = mean(a_i) and R = sum(b_i) / sum(c_i). The influence term of round i is
 *     psi_i = (a_i - A) + (b_i - R c_i) / mean(c)
 * (delta method for the ratio, e.g. Owen 2013, "Monte Carlo theory, methods and examples", 9.2), and
 * se = sd(psi) / sqrt(n) with the n - 1 sample variance. With one round se is NaN; with sum(c) = 0 (the target puts no
 * mass on any logged action) the ratio, and so value, se and interval, are NaN.
 */
export function summarizeTerms(terms: RoundTerms): TermsSummary {
  const n = terms.n;
  const psi = new Float64Array(n);
  const { mean, ratio, denominatorSum } = termSums(terms);
  const add = terms.additive;
  if (add !== undefined) for (let i = 0; i < n; i++) psi[i] = add[i]! - mean!;
  if (terms.ratio !== undefined) {
    const { numerator: b, denominator: c } = terms.ratio;
    const r = ratio!;
    const cbar = denominatorSum / n;
    for (let i = 0; i < n; i++) psi[i] = psi[i]! + (b[i]! - r * c[i]!) / cbar;
  }
  let ss = 0;
  for (let i = 0; i < n; i++) ss += psi[i]! * psi[i]!;
  const se = n >= 2 ? Math.sqrt(ss / (n - 1) / n) : Number.NaN;
  const value = valueOf(mean, ratio);
  return { value, se: Number.isFinite(value) ? se : Number.NaN, influence: psi };
}

/** summarizeTerms(terms).value alone: the same sums, so the same number, without the influence terms. */
export function termsValue(terms: RoundTerms): number {
  const { mean, ratio } = termSums(terms);
  return valueOf(mean, ratio);
}

/** A = mean(a_i) and R = sum(b_i) / sum(c_i) of RoundTerms, each undefined when the terms have no such part. */
function termSums(terms: RoundTerms): { mean: number | undefined; ratio: number | undefined; denominatorSum: number } {
  const n = terms.n;
  let mean: number | undefined;
  const add = terms.additive;
  if (add !== undefined) {
    let s = 0;
    for (let i = 0; i < n; i++) s += add[i]!;
    mean = s / n;
  }
  let ratio: number | undefined;
  let sc = 0;
  if (terms.ratio !== undefined) {
    const { numerator: b, denominator: c } = terms.ratio;
    let sb = 0;
    for (let i = 0; i < n; i++) {
      sb += b[i]!;
      sc += c[i]!;
    }
    ratio = sb / sc;
  }
  return { mean, ratio, denominatorSum: sc };
}

/** value = A + R, the parts a set of terms lacks left out (0 + A + R, in that order). */
function valueOf(mean: number | undefined, ratio: number | undefined): number {
  let value = 0;
  if (mean !== undefined) value += mean;
  if (ratio !== undefined) value += ratio;
  return value;
}

/** Builds the `Estimate` of named round terms with a two-sided normal interval at `confidence`. */
export function estimateFromTerms(name: string, terms: RoundTerms, confidence: number): Estimate {
  const { value, se } = summarizeTerms(terms);
  const z = normalQuantile(0.5 + confidence / 2);
  const est: Estimate = { name, value, se, ci: [value - z * se, value + z * se], confidence, n: terms.n };
  if (terms.diagnostics !== undefined) est.diagnostics = terms.diagnostics;
  return est;
}

/**
 * The doubly robust family: per round q_hat(x_i, pi_e) + g(w_i) (r_i - q_hat(x_i, a_i)), where g transforms the
 * importance weight (DR: clipping, Switch-DR: 0 above tau, DR-OS: shrinkage). Returns the per-round terms, how many
 * weights g changed, and the total amount it removed.
 */
export function weightedCorrection(shared: SharedTerms, g: (w: number) => number): { additive: Float64Array; changed: number; removed: number } {
  const w = shared.weights();
  const additive = Float64Array.from(shared.directMethod());
  const e = shared.residuals();
  let changed = 0, removed = 0;
  for (let i = 0; i < additive.length; i++) {
    const wi = w[i]!;
    const gi = g(wi);
    if (gi !== wi) (changed++, (removed += wi - gi));
    additive[i] = additive[i]! + gi * e[i]!;
  }
  return { additive, changed, removed };
}
