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
import { choleskyInPlace, choleskySolveInPlace, spdInverse } from './internal/linalg.js';
import type { LoggedBandit } from './types.js';
import { validateLoggedBandit } from './validate.js';

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
  return fitOnRows(data, rows, kind, l2, maxIterations);
}

function fitOnRows(
  data: LoggedBandit,
  rows: Int32Array | undefined,
  kind: RewardModelKind,
  l2: number,
  maxIterations: number,
): RewardRegression {
  const K = data.nActions;
  const ctx = data.context;
  const d = ctx === undefined ? 0 : (data.dim ?? 0);
  const q = d + 1;
  const m = rows === undefined ? data.n : rows.length;
  const rowOf = (j: number): number => (rows === undefined ? j : rows[j]!);

  // Training design: action, response and standardised z = (1, (x - mean) / sd), row-major m x q.
  const act = new Int32Array(m);
  const y = new Float64Array(m);
  let ySum = 0;
  for (let j = 0; j < m; j++) {
    const i = rowOf(j);
    act[j] = data.action[i]!;
    y[j] = data.reward[i]!;
    ySum += y[j]!;
  }
  const mean = new Float64Array(d);
  const sd = new Float64Array(d).fill(1);
  const z = new Float64Array(m * q);
  if (ctx !== undefined && d > 0) {
    for (let j = 0; j < m; j++) {
      const o = rowOf(j) * d;
      for (let k = 0; k < d; k++) mean[k] = mean[k]! + ctx[o + k]!;
    }
    for (let k = 0; k < d; k++) mean[k] = mean[k]! / m;
    const ss = new Float64Array(d);
    for (let j = 0; j < m; j++) {
      const o = rowOf(j) * d;
      for (let k = 0; k < d; k++) {
        const c = ctx[o + k]! - mean[k]!;
        ss[k] = ss[k]! + c * c;
      }
    }
    for (let k = 0; k < d; k++) {
      const s = Math.sqrt(ss[k]! / m);
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

  const yBar = ySum / m;
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
      nRows: m,
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
      const yj = y[j]!;
      f += logistic ? softplus(eta) - yj * eta : 0.5 * (eta - yj) * (eta - yj);
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
      const yj = y[j]!;
      let g: number;
      let h: number;
      if (logistic) {
        const mu = sigmoid(eta);
        f += softplus(eta) - yj * eta;
        g = mu - yj;
        h = mu * (1 - mu);
      } else {
        f += 0.5 * (eta - yj) * (eta - yj);
        g = eta - yj;
        h = 1;
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
    const dinv: Float64Array[] = [];
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
      const inv = spdInverse(block, q);
      if (inv === null) throw new Error('fitRewardRegression: non-positive-definite Hessian block (numerical breakdown)');
      dinv.push(inv);
      for (let k = 0; k < q; k++) {
        let r = 0;
        for (let l = 0; l < q; l++) {
          const mkl = eye(k, l) - l2 * inv[k * q + l]!;
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
      const inv = dinv[a]!;
      for (let k = 0; k < q; k++) {
        let s = 0;
        for (let l = 0; l < q; l++) {
          s -= inv[k * q + l]! * gu[a * q + l]!;
          s -= (eye(k, l) - l2 * inv[k * q + l]!) * dv[l]!;
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
  return { kind, nActions: K, dim: d, intercept, slopes, iterations, converged, nRows: m };
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
 * folds it is not in.
 */
export function fitRewardModel(data: LoggedBandit, options: RewardModelOptions = {}): RewardModelFit {
  const fn = 'fitRewardModel';
  validateLoggedBandit(fn, data);
  const nFolds = options.folds ?? 5;
  if (!Number.isInteger(nFolds) || nFolds < 2 || nFolds > data.n) {
    throw new RangeError(`${fn}: folds must be an integer in [2, n = ${data.n}], got ${nFolds}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw new RangeError(`${fn}: seed must be a finite number, got ${seed}`);
  const { l2, maxIterations, kind } = resolveOptions(fn, data, options);
  const { n, nActions: K } = data;
  const folds = assignFolds(n, nFolds, seed);
  const predictions = new Float64Array(n * K);
  const models: RewardRegression[] = [];
  const counts = new Int32Array(nFolds);
  for (let i = 0; i < n; i++) counts[folds[i]!] = counts[folds[i]!]! + 1;
  for (let f = 0; f < nFolds; f++) {
    const rows = new Int32Array(n - counts[f]!);
    let j = 0;
    for (let i = 0; i < n; i++) if (folds[i] !== f) rows[j++] = i;
    const model = fitOnRows(data, rows, kind, l2, maxIterations);
    models.push(model);
    for (let i = 0; i < n; i++) {
      if (folds[i] !== f) continue;
      for (let a = 0; a < K; a++) predictions[i * K + a] = predictReward(model, data.context, i, a);
    }
  }
  return { predictions, kind, l2, nFolds, folds, models };
}
