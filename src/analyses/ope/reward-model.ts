/**
 * Reward model q_hat(x, a) for DM / DR-type estimators, cross-fitted.
 *
 * Model. A generalised linear model with action-specific intercepts and slopes that are shrunk towards shared ones:
 *
 *     eta(x, a) = (b0 + beta_a) + (gamma + delta_a) . z(x),      z(x) = (x - mean) / sd  (training-rows standardisation)
 *
 * i.e. features = intercept, action one-hot, context, and action x context interactions. The L2 penalty
 * (l2 / 2) (|gamma|^2 + sum_a beta_a^2 + |delta_a|^2) leaves b0 free; because it penalises the action-specific parts
 * beta_a, delta_a, an action with few rounds borrows the shared fit (an action never logged in the training rows gets
 * exactly the shared model). Without context (dim 0) it is a shrunk per-action mean.
 * Binary rewards (all in {0, 1}) get logistic regression, q_hat = 1 / (1 + exp(-eta)); others ridge regression,
 * q_hat = eta (`kind: 'auto'`, the default; `'logistic'` also accepts rewards in [0, 1] as a cross-entropy fit).
 *
 * Fit. Newton's method (IRLS; for ridge one step is exact) with backtracking on the penalised objective
 *     F = sum_i loss(y_i, eta_i) + (l2 / 2) |penalised coefficients|^2,
 * loss = log(1 + e^eta) - y eta (logistic) or (y - eta)^2 / 2 (ridge). The Hessian is block-arrow shaped (shared block
 * v = (b0, gamma) coupled to one (dim+1)-block u_a = (beta_a, delta_a) per action), so each Newton step solves it by the
 * Schur complement on v in O(K (dim+1)^3) instead of O((K (dim+1))^3):
 *     D_a = S_a + l2 I,  S_a = sum_{i: a_i = a} h_i z_i z_i^T,  S_a - S_a D_a^{-1} S_a = l2 (I - l2 D_a^{-1}).
 * Stops when half the squared Newton decrement is below 1e-12 (1 + |F|) (Boyd & Vandenberghe 2004, "Convex
 * optimization", 9.5); IRLS as in Hastie, Tibshirani & Friedman (2009), "The elements of statistical learning", 4.4.1.
 *
 * Cross-fitting (Chernozhukov et al. 2018, "Double/debiased machine learning"): rows are split into K folds by a seeded
 * permutation that depends only on (n, folds, seed); the predictions for the rows of fold f come from a model fit on the
 * other folds only, so no row's prediction uses its own reward (nor its own context in the standardisation).
 */
import { createRng } from '../../stats/rng.js';
import { choleskyInPlace, choleskySolveInPlace, spdInverseInto } from './internal/linalg.js';
import type { LoggedBandit, RewardModelTerms, TargetPolicy } from './types.js';
import { MAX_DENSE_CELLS, validateLoggedBandit } from './validate.js';

/**
 * Largest n x K matrix of predictions `fitRewardModel` materialises (2^27 numbers, 1 GiB). Beyond it, use
 * `fitRewardModelTerms`, whose per-round terms need O(n) memory whatever K.
 */
export const MAX_PREDICTION_CELLS = MAX_DENSE_CELLS;
/**
 * Default cap on the model evaluations q_hat(x, a) one `policyValue` of `crossFittedTerms` may need (distinct
 * (fold, context, target row) groups x K); about a minute of work. Beyond it, it throws `RewardModelTooLarge` at once.
 */
export const MAX_MODEL_EVALUATIONS = 4e9;

export type RewardModelKind = 'logistic' | 'ridge';

export interface RewardRegressionOptions {
  /** L2 penalty on the standardised, action-specific and slope coefficients (> 0). Default 1. */
  l2?: number;
  /** 'auto' (default): logistic when every reward is 0 or 1, ridge otherwise. */
  kind?: RewardModelKind | 'auto';
  /** Newton iteration cap. Default 100. */
  maxIterations?: number;
  /** Fit on these rows only (default: all rows). */
  rows?: Int32Array;
  /**
   * Fit on the distinct design rows (action and context) with their counts and reward sums: the same objective, so
   * the same model up to rounding, in fewer terms. Default: when there are at most a quarter as many distinct rows as
   * rows. false fits row by row.
   */
  groupRows?: boolean;
}

/** A fitted reward regression, with coefficients on the original context scale. */
export interface RewardRegression {
  kind: RewardModelKind;
  nActions: number;
  dim: number;
  /** Per action a: eta(x, a) = intercept[a] + sum_k slopes[a * dim + k] x_k. (+-Infinity for a logistic fit on rewards
   *  that are all 0 or all 1, whose maximum-likelihood prediction is that constant.) */
  intercept: Float64Array;
  slopes: Float64Array;
  iterations: number;
  converged: boolean;
  /** Rows the model was fit on. */
  nRows: number;
}

export interface RewardModelOptions extends Omit<RewardRegressionOptions, 'rows'> {
  /** Number of cross-fitting folds (>= 2, <= n). Default 5. */
  folds?: number;
  /** Seed of the fold assignment. Default 0. */
  seed?: number;
}

/** A cross-fitted reward model: its fold models, and the per-round terms the estimators take (no n x K matrix). */
export interface CrossFittedRewardModel {
  kind: RewardModelKind;
  l2: number;
  nFolds: number;
  /** Fold of each round; predictions of fold f come from `models[f]`, fit on the other folds. */
  folds: Int32Array;
  models: RewardRegression[];
  /** q_hat(x_i, a_i) and q_hat(x_i, pi_e) per round, computed streaming (see `crossFittedTerms`). */
  terms: RewardModelTerms;
}

export interface RewardModelFit {
  /** Row-major n x K cross-fitted q_hat(x_i, a): pass this to the estimators. */
  predictions: Float64Array;
  kind: RewardModelKind;
  l2: number;
  nFolds: number;
  /** Fold of each round; predictions of fold f come from `models[f]`, fit on the other folds. */
  folds: Int32Array;
  models: RewardRegression[];
}

/** Linear predictor eta(x_i, a) of a fitted regression for round i of `context` (row-major, model.dim wide). */
export function rewardLinearPredictor(model: RewardRegression, context: Float64Array | undefined, i: number, a: number): number {
  const d = model.dim;
  let eta = model.intercept[a]!;
  if (d > 0 && context !== undefined) {
    const o = i * d;
    const so = a * d;
    for (let k = 0; k < d; k++) eta += model.slopes[so + k]! * context[o + k]!;
  }
  return eta;
}

/** q_hat(x_i, a) of a fitted regression. */
export function predictReward(model: RewardRegression, context: Float64Array | undefined, i: number, a: number): number {
  const eta = rewardLinearPredictor(model, context, i, a);
  return model.kind === 'logistic' ? sigmoid(eta) : eta;
}

function sigmoid(eta: number): number {
  return eta >= 0 ? 1 / (1 + Math.exp(-eta)) : Math.exp(eta) / (1 + Math.exp(eta));
}

function softplus(eta: number): number {
  return eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
}

function isBinary(y: Float64Array, rows: Int32Array | undefined): boolean {
  const m = rows === undefined ? y.length : rows.length;
  for (let j = 0; j < m; j++) {
    const v = y[rows === undefined ? j : rows[j]!]!;
    if (v !== 0 && v !== 1) return false;
  }
  return true;
}

function resolveOptions(fn: string, data: LoggedBandit, options: Omit<RewardRegressionOptions, 'rows'>, rows?: Int32Array) {
  const l2 = options.l2 ?? 1;
  if (!(l2 > 0 && Number.isFinite(l2))) throw new RangeError(`${fn}: l2 must be a finite number > 0, got ${l2}`);
  const maxIterations = options.maxIterations ?? 100;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new RangeError(`${fn}: maxIterations must be an integer >= 1, got ${maxIterations}`);
  }
  const requested = options.kind ?? 'auto';
  if (requested !== 'auto' && requested !== 'logistic' && requested !== 'ridge') {
    throw new RangeError(`${fn}: kind must be 'auto', 'logistic' or 'ridge', got ${String(requested)}`);
  }
  const kind: RewardModelKind = requested === 'auto' ? (isBinary(data.reward, rows) ? 'logistic' : 'ridge') : requested;
  if (kind === 'logistic') {
    for (let i = 0; i < data.n; i++) {
      const r = data.reward[i]!;
      if (!(r >= 0 && r <= 1)) throw new RangeError(`${fn}: logistic reward model needs rewards in [0, 1], reward[${i}] = ${r}`);
    }
  }
  return { l2, maxIterations, kind };
}

/**
 * Fits the reward regression on all rows (or `options.rows`). Use `fitRewardModel` to get cross-fitted predictions
 * for the estimators; this is the single fit it runs per fold.
 */
export function fitRewardRegression(data: LoggedBandit, options: RewardRegressionOptions = {}): RewardRegression {
  const fn = 'fitRewardRegression';
  validateLoggedBandit(fn, data);
  const rows = options.rows;
  if (rows !== undefined) {
    if (rows.length === 0) throw new RangeError(`${fn}: rows is empty`);
    for (let j = 0; j < rows.length; j++) {
      const r = rows[j]!;
      if (r < 0 || r >= data.n) throw new RangeError(`${fn}: rows[${j}] = ${r} is outside 0..${data.n - 1}`);
    }
  }
  const { l2, maxIterations, kind } = resolveOptions(fn, data, options, rows);
  return fitTraining(data, rows, kind, l2, maxIterations, options.groupRows);
}

/**
 * Training rows given as groups of identical design rows (the same action and context, bit for bit): group j stands
 * for `weight[j]` rows like round rows[j], whose rewards sum to `ySum[j]` and whose squared deviations from their mean
 * sum to `ySS[j]`. The penalised objective, its gradient and its Hessian are sums over rows, so over groups they are
 * the same functions: logistic w softplus(eta) - (sum y) eta, gradient w mu - sum y, curvature w mu (1 - mu); ridge
 * (w (eta - ybar)^2 + SS) / 2, gradient w eta - sum y, curvature w (the exact decomposition of the rows' squares).
 */
interface RowGroups {
  rows: Int32Array;
  weight: Float64Array;
  ySum: Float64Array;
  ySS: Float64Array;
}

function fitOnRows(
  data: LoggedBandit,
  rows: Int32Array | undefined,
  kind: RewardModelKind,
  l2: number,
  maxIterations: number,
  groups?: RowGroups,
): RewardRegression {
  const K = data.nActions;
  const ctx = data.context;
  const d = ctx === undefined ? 0 : (data.dim ?? 0);
  const q = d + 1;
  if (groups !== undefined) rows = groups.rows;
  const m = rows === undefined ? data.n : rows.length;
  const rowOf = (j: number): number => (rows === undefined ? j : rows[j]!);

  // Training design: action, weight (rows the design row stands for: 1 without groups), reward sum, the rewards'
  // squared deviations from their mean (0 for single rows) and standardised z = (1, (x - mean) / sd), row-major m x q.
  // With unit weights every operation below gives the single-row formula's result exactly (1 * x = x, x + 0 = x).
  const act = new Int32Array(m);
  const wt = groups === undefined ? new Float64Array(m).fill(1) : groups.weight;
  const ys = groups === undefined ? new Float64Array(m) : groups.ySum;
  const yss = groups === undefined ? new Float64Array(m) : groups.ySS;
  let ySum = 0;
  let M = 0;
  for (let j = 0; j < m; j++) {
    const i = rowOf(j);
    act[j] = data.action[i]!;
    if (groups === undefined) ys[j] = data.reward[i]!;
    ySum += ys[j]!;
    M += wt[j]!;
  }
  const mean = new Float64Array(d);
  const sd = new Float64Array(d).fill(1);
  const z = new Float64Array(m * q);
  if (ctx !== undefined && d > 0) {
    for (let j = 0; j < m; j++) {
      const o = rowOf(j) * d;
      for (let k = 0; k < d; k++) mean[k] = mean[k]! + wt[j]! * ctx[o + k]!;
    }
    for (let k = 0; k < d; k++) mean[k] = mean[k]! / M;
    const ss = new Float64Array(d);
    for (let j = 0; j < m; j++) {
      const o = rowOf(j) * d;
      for (let k = 0; k < d; k++) {
        const c = ctx[o + k]! - mean[k]!;
        ss[k] = ss[k]! + wt[j]! * (c * c);
      }
    }
    for (let k = 0; k < d; k++) {
      const s = Math.sqrt(ss[k]! / M);
      sd[k] = s > 0 ? s : 1;
    }
    for (let j = 0; j < m; j++) {
      const o = rowOf(j) * d;
      z[j * q] = 1;
      for (let k = 0; k < d; k++) z[j * q + 1 + k] = (ctx[o + k]! - mean[k]!) / sd[k]!;
    }
  } else {
    for (let j = 0; j < m; j++) z[j] = 1;
  }

  const yBar = ySum / M;
  const logistic = kind === 'logistic';
  if (logistic && (yBar === 0 || yBar === 1)) {
    // All training rewards equal 0 (or 1): the likelihood is maximised at the boundary, q_hat = that constant.
    return {
      kind,
      nActions: K,
      dim: d,
      intercept: new Float64Array(K).fill(yBar === 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY),
      slopes: new Float64Array(K * d),
      iterations: 0,
      converged: true,
      nRows: M,
    };
  }

  // Parameters: shared v (q), action-specific u (K x q); effective coefficients c_a = v + u_a.
  const v = new Float64Array(q);
  const u = new Float64Array(K * q);
  v[0] = logistic ? Math.log(yBar / (1 - yBar)) : yBar;
  const coef = new Float64Array(K * q);
  const grad = new Float64Array(K * q); // sum_{i in a} loss'_i z_i
  const hess = new Float64Array(K * q * q); // S_a, upper triangle
  const dv = new Float64Array(q);
  const du = new Float64Array(K * q);
  const trialV = new Float64Array(q);
  const trialU = new Float64Array(K * q);
  // Per action a, D_a^{-1} (q x q), refreshed each Newton step without allocating.
  const dinvAll = new Float64Array(K * q * q);
  const scratchL = new Float64Array(q * q);
  const scratchCol = new Float64Array(q);

  const penalty = (vv: Float64Array, uu: Float64Array): number => {
    let s = 0;
    for (let k = 1; k < q; k++) s += vv[k]! * vv[k]!;
    for (let j = 0; j < uu.length; j++) s += uu[j]! * uu[j]!;
    return 0.5 * l2 * s;
  };
  const setCoef = (vv: Float64Array, uu: Float64Array): void => {
    for (let a = 0; a < K; a++) for (let k = 0; k < q; k++) coef[a * q + k] = vv[k]! + uu[a * q + k]!;
  };
  const objective = (vv: Float64Array, uu: Float64Array): number => {
    setCoef(vv, uu);
    let f = 0;
    for (let j = 0; j < m; j++) {
      const co = act[j]! * q;
      const zo = j * q;
      let eta = 0;
      for (let k = 0; k < q; k++) eta += coef[co + k]! * z[zo + k]!;
      f += rowLoss(logistic, eta, wt[j]!, ys[j]!, yss[j]!);
    }
    return f + penalty(vv, uu);
  };

  let iterations = 0;
  let converged = false;
  const eye = (k: number, l: number): number => (k === l ? 1 : 0);
  for (; iterations < maxIterations; ) {
    iterations++;
    // Pass over the data: objective, per-action gradient sums and Hessian blocks.
    setCoef(v, u);
    grad.fill(0);
    hess.fill(0);
    let f = 0;
    for (let j = 0; j < m; j++) {
      const a = act[j]!;
      const co = a * q;
      const zo = j * q;
      let eta = 0;
      for (let k = 0; k < q; k++) eta += coef[co + k]! * z[zo + k]!;
      const wj = wt[j]!;
      const yj = ys[j]!;
      let g: number;
      let h: number;
      f += rowLoss(logistic, eta, wj, yj, yss[j]!);
      if (logistic) {
        const mu = sigmoid(eta);
        g = wj * mu - yj;
        h = wj * (mu * (1 - mu));
      } else {
        g = wj * eta - yj;
        h = wj;
      }
      const ho = a * q * q;
      for (let k = 0; k < q; k++) {
        const zk = z[zo + k]!;
        grad[co + k] = grad[co + k]! + g * zk;
        const hzk = h * zk;
        for (let l = k; l < q; l++) hess[ho + k * q + l] = hess[ho + k * q + l]! + hzk * z[zo + l]!;
      }
    }
    f += penalty(v, u);

    // Gradients of the penalised objective: g_u[a] = grad_a + l2 u_a ; g_v = sum_a grad_a + l2 P v.
    const gv = new Float64Array(q);
    const gu = new Float64Array(K * q);
    for (let a = 0; a < K; a++) {
      for (let k = 0; k < q; k++) {
        gu[a * q + k] = grad[a * q + k]! + l2 * u[a * q + k]!;
        gv[k] = gv[k]! + grad[a * q + k]!;
      }
    }
    for (let k = 1; k < q; k++) gv[k] = gv[k]! + l2 * v[k]!;

    // Schur complement on v: C = l2 P + sum_a l2 (I - l2 Dinv_a); rhs = -g_v + sum_a (I - l2 Dinv_a) g_u[a].
    const schur = new Float64Array(q * q);
    for (let k = 1; k < q; k++) schur[k * q + k] = l2;
    const rhs = new Float64Array(q);
    for (let k = 0; k < q; k++) rhs[k] = -gv[k]!;
    const block = new Float64Array(q * q);
    for (let a = 0; a < K; a++) {
      const ho = a * q * q;
      for (let k = 0; k < q; k++) {
        for (let l = k; l < q; l++) {
          const s = hess[ho + k * q + l]! + (k === l ? l2 : 0);
          block[k * q + l] = s;
          block[l * q + k] = s;
        }
      }
      const io = a * q * q;
      if (!spdInverseInto(block, q, dinvAll, io, scratchL, scratchCol)) {
        throw new Error('fitRewardRegression: non-positive-definite Hessian block (numerical breakdown)');
      }
      for (let k = 0; k < q; k++) {
        let r = 0;
        for (let l = 0; l < q; l++) {
          const mkl = eye(k, l) - l2 * dinvAll[io + k * q + l]!;
          schur[k * q + l] = schur[k * q + l]! + l2 * mkl;
          r += mkl * gu[a * q + l]!;
        }
        rhs[k] = rhs[k]! + r;
      }
    }
    // Symmetrise against rounding before factorising.
    for (let k = 0; k < q; k++) {
      for (let l = k + 1; l < q; l++) {
        const s = 0.5 * (schur[k * q + l]! + schur[l * q + k]!);
        schur[k * q + l] = s;
        schur[l * q + k] = s;
      }
    }
    if (!choleskyInPlace(schur, q)) {
      throw new Error('fitRewardRegression: singular Newton system (are all training rewards identical?)');
    }
    dv.set(rhs);
    choleskySolveInPlace(schur, q, dv);
    // du_a = -Dinv_a g_u[a] - (I - l2 Dinv_a) dv.
    let decrement = 0;
    for (let k = 0; k < q; k++) decrement -= gv[k]! * dv[k]!;
    for (let a = 0; a < K; a++) {
      const io = a * q * q;
      for (let k = 0; k < q; k++) {
        let s = 0;
        for (let l = 0; l < q; l++) {
          s -= dinvAll[io + k * q + l]! * gu[a * q + l]!;
          s -= (eye(k, l) - l2 * dinvAll[io + k * q + l]!) * dv[l]!;
        }
        du[a * q + k] = s;
        decrement -= gu[a * q + k]! * s;
      }
    }

    const tolerance = 1e-12 * (1 + Math.abs(f));
    if (!logistic || decrement / 2 <= tolerance) {
      // Quadratic objective (ridge): the Newton step is exact. Logistic: the step is already negligible.
      for (let k = 0; k < q; k++) v[k] = v[k]! + dv[k]!;
      for (let j = 0; j < u.length; j++) u[j] = u[j]! + du[j]!;
      converged = true;
      break;
    }
    // Backtracking line search (Armijo) on the penalised objective.
    let t = 1;
    let accepted = false;
    for (let halving = 0; halving < 60; halving++) {
      for (let k = 0; k < q; k++) trialV[k] = v[k]! + t * dv[k]!;
      for (let j = 0; j < u.length; j++) trialU[j] = u[j]! + t * du[j]!;
      const ft = objective(trialV, trialU);
      if (ft <= f - 1e-4 * t * decrement) {
        accepted = true;
        break;
      }
      t /= 2;
    }
    if (!accepted) {
      // No decrease possible at double precision: we are at the optimum.
      converged = true;
      break;
    }
    v.set(trialV);
    u.set(trialU);
  }

  // Coefficients on the original context scale.
  const intercept = new Float64Array(K);
  const slopes = new Float64Array(K * d);
  for (let a = 0; a < K; a++) {
    let b = v[0]! + u[a * q]!;
    for (let k = 0; k < d; k++) {
      const c = (v[1 + k]! + u[a * q + 1 + k]!) / sd[k]!;
      slopes[a * d + k] = c;
      b -= c * mean[k]!;
    }
    intercept[a] = b;
  }
  return { kind, nActions: K, dim: d, intercept, slopes, iterations, converged, nRows: M };
}

/**
 * The loss of a design row standing for w rows with reward sum ys and squared deviations yss (RowGroups): logistic
 * w softplus(eta) - ys eta, ridge (w (eta - ys / w)^2 + yss) / 2. For one row (w = 1, yss = 0) these are
 * softplus(eta) - y eta and (eta - y)^2 / 2 to the last bit.
 */
function rowLoss(logistic: boolean, eta: number, w: number, ys: number, yss: number): number {
  if (logistic) return w * softplus(eta) - ys * eta;
  const r = eta - ys / w;
  return 0.5 * (w * r * r + yss);
}

/**
 * Assigns rounds to folds: a seeded uniform permutation, fold = position mod folds (sizes differ by at most one).
 * Depends only on (n, folds, seed), never on the data.
 */
export function assignFolds(n: number, folds: number, seed: number): Int32Array {
  const rng = createRng(seed);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  const fold = new Int32Array(n);
  for (let p = 0; p < n; p++) fold[perm[p]!] = p % folds;
  return fold;
}

/**
 * Cross-fitted reward model: q_hat(x_i, a) for every round i and action a, each row predicted by the model fit on the
 * folds it is not in. The n x K matrix is refused (RangeError) beyond MAX_PREDICTION_CELLS; `fitRewardModelTerms` fits
 * the same models and gives the estimators what they need in O(n) memory.
 */
export function fitRewardModel(data: LoggedBandit, options: RewardModelOptions = {}): RewardModelFit {
  const fn = 'fitRewardModel';
  validateLoggedBandit(fn, data);
  const cells = data.n * data.nActions;
  if (cells > MAX_PREDICTION_CELLS) {
    throw new RangeError(
      `${fn}: the predictions of ${data.n} rounds x ${data.nActions} actions would be ${cells} numbers, more than ${MAX_PREDICTION_CELLS}; use fitRewardModelTerms, which needs no n x K matrix`,
    );
  }
  const fit = fitFolds(fn, data, options);
  const { n, nActions: K } = data;
  const predictions = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    const model = fit.models[fit.folds[i]!]!;
    for (let a = 0; a < K; a++) predictions[i * K + a] = predictReward(model, data.context, i, a);
  }
  return { predictions, ...fit };
}

/**
 * The same cross-fitted models as `fitRewardModel` (same folds, same coefficients), with the per-round terms the
 * estimators need instead of the n x K predictions (`crossFittedTerms`): memory O(n + K dim) whatever K.
 */
export function fitRewardModelTerms(data: LoggedBandit, options: RewardModelOptions & { maxEvaluations?: number } = {}): CrossFittedRewardModel {
  const fn = 'fitRewardModelTerms';
  validateLoggedBandit(fn, data);
  const fit = fitFolds(fn, data, options);
  const terms = crossFittedTerms(data, fit.models, fit.folds, options.maxEvaluations === undefined ? {} : { maxEvaluations: options.maxEvaluations });
  return { ...fit, terms };
}

function fitFolds(fn: string, data: LoggedBandit, options: RewardModelOptions): Omit<RewardModelFit, 'predictions'> {
  const nFolds = options.folds ?? 5;
  if (!Number.isInteger(nFolds) || nFolds < 2 || nFolds > data.n) {
    throw new RangeError(`${fn}: folds must be an integer in [2, n = ${data.n}], got ${nFolds}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw new RangeError(`${fn}: seed must be a finite number, got ${seed}`);
  const { l2, maxIterations, kind } = resolveOptions(fn, data, options);
  const n = data.n;
  const folds = assignFolds(n, nFolds, seed);
  const models: RewardRegression[] = [];
  const counts = new Int32Array(nFolds);
  for (let i = 0; i < n; i++) counts[folds[i]!] = counts[folds[i]!]! + 1;
  const classes = options.groupRows === false ? undefined : classesOf(data, data.action);
  for (let f = 0; f < nFolds; f++) {
    const rows = new Int32Array(n - counts[f]!);
    let j = 0;
    for (let i = 0; i < n; i++) if (folds[i] !== f) rows[j++] = i;
    models.push(fitTraining(data, rows, kind, l2, maxIterations, options.groupRows, classes));
  }
  return { kind, l2, nFolds, folds, models };
}

/**
 * The fit on the training rounds `rows` (default all). Rounds with the same action and context (bit for bit) are the
 * same design row: when there are at most a quarter as many distinct ones as rounds (no context, or a context of
 * positions or other categories), the fit runs on the distinct rows with their counts and reward sums (RowGroups), the
 * same objective in far fewer terms. The groups are taken in a canonical order (by action, then by the context's bit
 * patterns) and their sums run over the rounds in order, so the fit depends on the training rounds only, not on how
 * the classes were numbered. `classes`, when given, are the classes of every round (contextClasses by action), so
 * that cross-fitting finds them once for all its folds.
 */
function fitTraining(
  data: LoggedBandit,
  rows: Int32Array | undefined,
  kind: RewardModelKind,
  l2: number,
  maxIterations: number,
  groupRows?: boolean,
  classes?: { classOf: Int32Array; representative: Int32Array; count: number },
): RewardRegression {
  if (groupRows === false) return fitOnRows(data, rows, kind, l2, maxIterations);
  const m = rows === undefined ? data.n : rows.length;
  const at = (j: number): number => (rows === undefined ? j : rows[j]!);
  const own = classes === undefined ? classesOf(data, data.action, rows) : undefined;
  const { representative, count } = classes ?? own!;
  const classOfRow = own !== undefined ? (j: number) => own.classOf[j]! : (j: number) => classes!.classOf[at(j)]!;
  const reward = data.reward;
  const weight = new Float64Array(count);
  const ySum = new Float64Array(count);
  for (let j = 0; j < m; j++) {
    const c = classOfRow(j);
    weight[c] = weight[c]! + 1;
    ySum[c] = ySum[c]! + reward[at(j)]!;
  }
  const present: number[] = [];
  for (let c = 0; c < count; c++) if (weight[c]! > 0) present.push(c);
  if (groupRows !== true && present.length * 4 > m) return fitOnRows(data, rows, kind, l2, maxIterations);
  const ySS = new Float64Array(count);
  if (kind === 'ridge') {
    for (let j = 0; j < m; j++) {
      const c = classOfRow(j);
      const dev = reward[at(j)]! - ySum[c]! / weight[c]!;
      ySS[c] = ySS[c]! + dev * dev;
    }
  }
  const d = data.context === undefined ? 0 : (data.dim ?? 0);
  const bits = d > 0 ? new Uint32Array(data.context!.buffer, data.context!.byteOffset, data.context!.length * 2) : undefined;
  present.sort((x, y) => {
    const rx = representative[x]!, ry = representative[y]!;
    if (data.action[rx] !== data.action[ry]) return data.action[rx]! - data.action[ry]!;
    for (let k = 0; k < 2 * d; k++) {
      const bx = bits![rx * 2 * d + k]!, by = bits![ry * 2 * d + k]!;
      if (bx !== by) return bx - by;
    }
    return 0;
  });
  const used = present.length;
  const groups: RowGroups = { rows: new Int32Array(used), weight: new Float64Array(used), ySum: new Float64Array(used), ySS: new Float64Array(used) };
  present.forEach((c, j) => {
    groups.rows[j] = representative[c]!;
    groups.weight[j] = weight[c]!;
    groups.ySum[j] = ySum[c]!;
    groups.ySS[j] = ySS[c]!;
  });
  return fitOnRows(data, undefined, kind, l2, maxIterations, groups);
}

/** Thrown when a `policyValue` would need more model evaluations than allowed; carries the sizes. */
export class RewardModelTooLarge extends RangeError {
  constructor(
    readonly groups: number,
    readonly nActions: number,
    readonly limit: number,
    readonly n: number,
  ) {
    super(
      `the reward model would have to be evaluated on ${groups} distinct (fold, context, target) groups of the ${n} rounds x ${nActions} actions = ${groups * nActions} predictions, more than the limit of ${limit}`,
    );
    this.name = 'RewardModelTooLarge';
  }
}

/**
 * Rounds that share a fold and a context row (bit for bit) have the same q_hat(x_i, .): their "context class".
 * Returns the class of every round and one representative round per class. An open-addressing hash table over the
 * fold and the context's 32-bit words; O(n dim). With dim 0 the class is the fold.
 */
export function contextClasses(data: LoggedBandit, folds: Int32Array): { classOf: Int32Array; representative: Int32Array; count: number } {
  return classesOf(data, folds);
}

/**
 * contextClasses over the rounds `rows` (default all), in their order: classOf[j] is the class of round rows[j], and
 * classes are numbered in order of first appearance among them.
 */
function classesOf(data: LoggedBandit, folds: Int32Array, rows?: Int32Array): { classOf: Int32Array; representative: Int32Array; count: number } {
  const n = rows === undefined ? data.n : rows.length;
  const at = (j: number): number => (rows === undefined ? j : rows[j]!);
  const d = data.context === undefined ? 0 : (data.dim ?? 0);
  const classOf = new Int32Array(n);
  if (d === 0) {
    let count = 0;
    for (let j = 0; j < n; j++) count = Math.max(count, folds[at(j)]! + 1);
    const representative = new Int32Array(count).fill(-1);
    for (let j = 0; j < n; j++) {
      const i = at(j);
      const f = folds[i]!;
      classOf[j] = f;
      if (representative[f] === -1) representative[f] = i;
    }
    return { classOf, representative, count };
  }
  const ctx = data.context!;
  const bits = new Uint32Array(ctx.buffer, ctx.byteOffset, ctx.length * 2);
  const w = 2 * d;
  let mask = 1023;
  let table = new Int32Array(mask + 1).fill(-1); // class ids
  let reps = new Int32Array(256);
  let hashes = new Int32Array(256);
  let count = 0;
  const hashOf = (i: number): number => {
    let h = Math.imul(folds[i]! ^ 0x9e3779b9, 0x85ebca6b);
    const o = i * w;
    for (let k = 0; k < w; k++) {
      h = Math.imul(h ^ bits[o + k]!, 0xcc9e2d51);
      h = (h << 15) | (h >>> 17);
    }
    h ^= h >>> 16;
    return Math.imul(h, 0x27d4eb2d) ^ (h >>> 13);
  };
  const same = (i: number, j: number): boolean => {
    if (folds[i] !== folds[j]) return false;
    const oi = i * w;
    const oj = j * w;
    for (let k = 0; k < w; k++) if (bits[oi + k] !== bits[oj + k]) return false;
    return true;
  };
  for (let j = 0; j < n; j++) {
    const i = at(j);
    const h = hashOf(i);
    let slot = h & mask;
    let c = -1;
    for (;;) {
      const t = table[slot]!;
      if (t === -1) break;
      if (hashes[t] === h && same(reps[t]!, i)) {
        c = t;
        break;
      }
      slot = (slot + 1) & mask;
    }
    if (c === -1) {
      c = count++;
      if (c >= reps.length) {
        const r2 = new Int32Array(reps.length * 2);
        r2.set(reps);
        reps = r2;
        const h2 = new Int32Array(hashes.length * 2);
        h2.set(hashes);
        hashes = h2;
      }
      reps[c] = i;
      hashes[c] = h;
      table[slot] = c;
      if (count * 2 > mask) {
        // Grow and rehash the classes so far.
        mask = mask * 2 + 1;
        table = new Int32Array(mask + 1).fill(-1);
        for (let t = 0; t < count; t++) {
          let s2 = hashes[t]! & mask;
          while (table[s2] !== -1) s2 = (s2 + 1) & mask;
          table[s2] = t;
        }
      }
    }
    classOf[j] = c;
  }
  return { classOf, representative: reps.slice(0, count), count };
}

/**
 * The per-round terms of a cross-fitted reward model (types.ts RewardModelTerms), without n x K predictions.
 *
 * - factual: q_hat(x_i, a_i) = predictReward(models[folds[i]], x_i, a_i), one evaluation per round.
 * - policyValue(target): q_hat(x_i, pi_e) = sum_a pi_e(a | x_i) q_hat(x_i, a). It depends on round i only through its
 *   context class (fold and context row, `contextClasses`) and its target row, so it is computed once per distinct
 *   (class, target row) pair, streaming over a = 0..K-1, and copied to the rounds of the pair. A target that is the
 *   same on every round (`rowOf` all 0) and a context of positions only (the default model) make a handful of pairs,
 *   whatever n. The sum runs over the actions in the same order with the same products as over a matrix of
 *   predictions, so it equals `directMethodTerms` on `fitRewardModel`'s predictions bit for bit.
 * Work: pairs x K evaluations; beyond `maxEvaluations` (default MAX_MODEL_EVALUATIONS) it throws RewardModelTooLarge
 * before computing anything. Memory: O(n) per call plus O(pairs).
 */
export function crossFittedTerms(
  data: LoggedBandit,
  models: readonly RewardRegression[],
  folds: Int32Array,
  options: { maxEvaluations?: number } = {},
): RewardModelTerms & { classes: number } {
  const { n, nActions: K, action } = data;
  const ctx = data.context;
  const limit = options.maxEvaluations ?? MAX_MODEL_EVALUATIONS;
  const { classOf, representative, count } = contextClasses(data, folds);
  let factual: Float64Array | undefined;
  const valueAt = (i: number, probs: Float64Array, t: number): number => {
    const model = models[folds[i]!]!;
    let s = 0;
    for (let a = 0; a < K; a++) s += probs[t + a]! * predictReward(model, ctx, i, a);
    return s;
  };
  return {
    n,
    nActions: K,
    classes: count,
    factual(): Float64Array {
      if (factual === undefined) {
        factual = new Float64Array(n);
        for (let i = 0; i < n; i++) factual[i] = predictReward(models[folds[i]!]!, ctx, i, action[i]!);
      }
      return factual;
    },
    policyValue(target: TargetPolicy): Float64Array {
      const { probs, rowOf } = target;
      const out = new Float64Array(n);
      if (rowOf === undefined) {
        // A row per round: nothing to share, n x K evaluations streamed round by round.
        if (n * K > limit) throw new RewardModelTooLarge(n, K, limit, n);
        for (let i = 0; i < n; i++) out[i] = valueAt(i, probs, i * K);
        return out;
      }
      const rows = Math.floor(probs.length / K);
      if (rows === 1) {
        if (count * K > limit) throw new RewardModelTooLarge(count, K, limit, n);
        const v = new Float64Array(count);
        for (let c = 0; c < count; c++) v[c] = valueAt(representative[c]!, probs, 0);
        for (let i = 0; i < n; i++) out[i] = v[classOf[i]!]!;
        return out;
      }
      // Distinct (class, target row) pairs, keyed class * rows + row (exact below 2^53), in first-seen order.
      const pairOf = new Int32Array(n);
      const ids = new Map<number, number>();
      const reps: number[] = [];
      for (let i = 0; i < n; i++) {
        const key = classOf[i]! * rows + rowOf[i]!;
        let p = ids.get(key);
        if (p === undefined) {
          p = reps.length;
          ids.set(key, p);
          reps.push(i);
        }
        pairOf[i] = p;
      }
      if (reps.length * K > limit) throw new RewardModelTooLarge(reps.length, K, limit, n);
      const v = new Float64Array(reps.length);
      for (let p = 0; p < reps.length; p++) v[p] = valueAt(reps[p]!, probs, rowOf[reps[p]!]! * K);
      for (let i = 0; i < n; i++) out[i] = v[pairOf[i]!]!;
      return out;
    },
  };
}
