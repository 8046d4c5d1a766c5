/**
 * The simulated production model: logistic matrix factorization of clicks on exposures,
 *
 *     P(click | u, i) = sigmoid(b0 + b_i + x_u . y_i),
 *
 * fitted by weighted stochastic gradient descent on the log loss with L2 penalties (Koren, Bell & Volinsky 2009,
 * "Matrix factorization techniques for recommender systems", IEEE Computer; logistic form as in Johnson 2014, "Logistic
 * matrix factorization for implicit feedback data"). Every exposure is a training row: clicked = 1, shown and not
 * clicked = 0, each with a weight (1 for the naive loop; the clipped inverse logged propensity min(1/p, clip) for the
 * guarded one, Swaminathan & Joachims 2015, "Counterfactual risk minimization", ICML; Schnabel et al. 2016,
 * "Recommendations as treatments", ICML). New users start with small random factors. An item enters the model's vocabulary
 * with its first training row; until then the model cannot score it (cold start: an ID-based model has no embedding
 * for an ID it never saw, so only exploration can bring a new item in).
 */
import type { Rng } from '../stats/rng.js';

export interface ModelParams {
  /** Latent factors per user and item. */
  factors: number;
  /** SGD step size. */
  learningRate: number;
  /** L2 penalty on factors and item intercepts. */
  l2: number;
  /** Passes over the training window per retrain. */
  epochs: number;
  /** Days of logs in each retrain's training window. */
  windowDays: number;
  /** Standard deviation of the initial factors. */
  initSd: number;
}

export const DEFAULT_MODEL: ModelParams = { factors: 8, learningRate: 0.05, l2: 0.02, epochs: 4, windowDays: 7, initSd: 0.3 };

/** Training rows, columnar. */
export class Rows {
  user: Int32Array;
  item: Int32Array;
  label: Uint8Array;
  weight: Float32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.user = new Int32Array(capacity);
    this.item = new Int32Array(capacity);
    this.label = new Uint8Array(capacity);
    this.weight = new Float32Array(capacity);
  }
  push(user: number, item: number, label: number, weight: number): void {
    if (this.length === this.user.length) {
      const n = this.length * 2;
      const u = new Int32Array(n), it = new Int32Array(n), l = new Uint8Array(n), w = new Float32Array(n);
      u.set(this.user), it.set(this.item), l.set(this.label), w.set(this.weight);
      (this.user = u), (this.item = it), (this.label = l), (this.weight = w);
    }
    this.user[this.length] = user;
    this.item[this.length] = item;
    this.label[this.length] = label;
    this.weight[this.length] = weight;
    this.length++;
  }
}

/** The score of an item outside the model's vocabulary: below any logit the model gives a known item. */
export const OOV_SCORE = -50;

export class LogisticMF {
  b0 = 0;
  bias: Float64Array = new Float64Array(0);
  /** Items that appeared in a training row: the model's vocabulary. */
  known: Uint8Array = new Uint8Array(0);
  x: Float64Array = new Float64Array(0);
  y: Float64Array = new Float64Array(0);
  nUsers = 0;
  nItems = 0;

  constructor(readonly p: ModelParams, private readonly rng: Rng) {}

  clone(rng: Rng): LogisticMF {
    const m = new LogisticMF(this.p, rng);
    m.b0 = this.b0;
    m.bias = this.bias.slice();
    m.known = this.known.slice();
    m.x = this.x.slice();
    m.y = this.y.slice();
    m.nUsers = this.nUsers;
    m.nItems = this.nItems;
    return m;
  }

  /** Makes room for users and items that arrived (cold start: intercept 0, small random factors). */
  ensure(nUsers: number, nItems: number): void {
    const F = this.p.factors;
    if (nUsers > this.nUsers) {
      const x = new Float64Array(nUsers * F);
      x.set(this.x);
      for (let j = this.nUsers * F; j < nUsers * F; j++) x[j] = this.p.initSd * this.rng.normal();
      this.x = x;
      this.nUsers = nUsers;
    }
    if (nItems > this.nItems) {
      const y = new Float64Array(nItems * F), b = new Float64Array(nItems), kn = new Uint8Array(nItems);
      y.set(this.y);
      b.set(this.bias);
      kn.set(this.known);
      this.known = kn;
      for (let j = this.nItems * F; j < nItems * F; j++) y[j] = this.p.initSd * this.rng.normal();
      this.y = y;
      this.bias = b;
      this.nItems = nItems;
    }
  }

  /** The logit b0 + b_i + x_u . y_i. */
  logit(u: number, i: number): number {
    const F = this.p.factors, a = u * F, b = i * F;
    let s = this.b0 + this.bias[i]!;
    for (let f = 0; f < F; f++) s += this.x[a + f]! * this.y[b + f]!;
    return s;
  }

  /**
   * Scores of user u for items 0..n-1, into out: the logit for items in the vocabulary, OOV_SCORE for the others (an
   * ID-based model has no embedding for an item it never trained on, so it cannot rank it).
   */
  scoreAll(u: number, n: number, out: Float64Array): void {
    for (let i = 0; i < n; i++) out[i] = this.known[i] ? this.logit(u, i) : OOV_SCORE;
  }

  /**
   * Weighted SGD on the log loss over the rows (in a random order each epoch). The intercept b0 takes the same steps
   * without a penalty.
   */
  fit(rows: Rows): void {
    const { factors: F, learningRate: lr, l2, epochs } = this.p;
    const n = rows.length;
    if (n === 0) return;
    const order = new Int32Array(n);
    for (let j = 0; j < n; j++) order[j] = j;
    for (let e = 0; e < epochs; e++) {
      for (let j = n - 1; j > 0; j--) {
        const r = this.rng.int(j + 1);
        const t = order[j]!;
        order[j] = order[r]!;
        order[r] = t;
      }
      for (let jj = 0; jj < n; jj++) {
        const j = order[jj]!;
        const u = rows.user[j]!, i = rows.item[j]!;
        this.known[i] = 1;
        const w = rows.weight[j]!;
        const z = this.logit(u, i);
        const pr = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
        const g = (rows.label[j]! - pr) * w; // gradient of the log-likelihood with respect to the logit
        // Clipped so that one heavily weighted row cannot throw the factors off.
        const step = lr * Math.max(-10, Math.min(10, g));
        this.b0 += lr * 0.1 * g;
        this.bias[i] = this.bias[i]! + step - lr * l2 * this.bias[i]!;
        const a = u * F, b = i * F;
        for (let f = 0; f < F; f++) {
          const xu = this.x[a + f]!, yi = this.y[b + f]!;
          this.x[a + f] = xu + step * yi - lr * l2 * xu;
          this.y[b + f] = yi + step * xu - lr * l2 * yi;
        }
      }
    }
  }
}
