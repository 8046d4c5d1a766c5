/**
 * Synthetic logged-bandit generator for the OPE tests (test-only).
 *
 * A "world" fixes M context vectors x_1..x_M (d features, standard normal) and expected rewards
 *     q(x, a) = 1 / (1 + exp(-(b_a + theta_a . x)))
 * with b_a, theta_a standard normal. A draw of n rounds picks each round's context uniformly among the M, the logged
 * action from the logging policy pi_b(. | x) = softmax(betaLog * q(x, .)), and a Bernoulli(q(x, a)) reward (or the
 * deterministic reward q(x, a)). The target policy is pi_e(. | x) = softmax(betaTarget * q(x, .)).
 *
 * Ground truths:
 *   conditional  V_n = (1/n) sum_i sum_a pi_e(a | x_i) q(x_i, a)   (given the drawn contexts)
 *   population   V   = (1/M) sum_m sum_a pi_e(a | x_m) q(x_m, a)   (contexts uniform over the M)
 */
import type { LoggedBandit, TargetPolicy } from '../../../src/analyses/ope/types.js';
import { createRng, type Rng } from '../../../src/stats/rng.js';

export interface World {
  nActions: number;
  dim: number;
  nContexts: number;
  contexts: Float64Array; // M x d
  q: Float64Array; // M x K
  logging: Float64Array; // M x K
  target: Float64Array; // M x K
  populationValue: number;
}

export interface WorldOptions {
  nActions?: number;
  dim?: number;
  nContexts?: number;
  betaLog?: number;
  betaTarget?: number;
}

function softmaxRow(scores: number[]): number[] {
  const mx = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - mx));
  const s = e.reduce((x, y) => x + y, 0);
  return e.map((v) => v / s);
}

export function makeWorld(seed: number, options: WorldOptions = {}): World {
  const K = options.nActions ?? 4;
  const d = options.dim ?? 2;
  const M = options.nContexts ?? 50;
  const betaLog = options.betaLog ?? 1;
  const betaTarget = options.betaTarget ?? 6;
  const rng = createRng(seed);
  const b = Array.from({ length: K }, () => rng.normal());
  const theta = Array.from({ length: K * d }, () => rng.normal());
  const contexts = new Float64Array(M * d);
  for (let j = 0; j < M * d; j++) contexts[j] = rng.normal();
  const q = new Float64Array(M * K);
  const logging = new Float64Array(M * K);
  const target = new Float64Array(M * K);
  let value = 0;
  for (let m = 0; m < M; m++) {
    const qs: number[] = [];
    for (let a = 0; a < K; a++) {
      let eta = b[a]!;
      for (let k = 0; k < d; k++) eta += theta[a * d + k]! * contexts[m * d + k]!;
      qs.push(1 / (1 + Math.exp(-eta)));
    }
    const pl = softmaxRow(qs.map((v) => betaLog * v));
    const pt = softmaxRow(qs.map((v) => betaTarget * v));
    for (let a = 0; a < K; a++) {
      q[m * K + a] = qs[a]!;
      logging[m * K + a] = pl[a]!;
      target[m * K + a] = pt[a]!;
      value += pt[a]! * qs[a]!;
    }
  }
  return { nActions: K, dim: d, nContexts: M, contexts, q, logging, target, populationValue: value / M };
}

export interface Draw {
  data: LoggedBandit;
  target: TargetPolicy;
  /** True expected rewards q(x_i, a), n x K (the exact reward model). */
  q: Float64Array;
  /** Conditional truth V_n. */
  truth: number;
  /** Context type of each round. */
  type: Int32Array;
}

export function drawBandit(world: World, n: number, rng: Rng, options: { deterministicRewards?: boolean } = {}): Draw {
  const { nActions: K, dim: d, nContexts: M } = world;
  const action = new Int32Array(n);
  const reward = new Float64Array(n);
  const pscore = new Float64Array(n);
  const context = new Float64Array(n * d);
  const probs = new Float64Array(n * K);
  const q = new Float64Array(n * K);
  const type = new Int32Array(n);
  let truth = 0;
  for (let i = 0; i < n; i++) {
    const m = rng.int(M);
    type[i] = m;
    for (let k = 0; k < d; k++) context[i * d + k] = world.contexts[m * d + k]!;
    let u = rng.next();
    let a = K - 1;
    for (let c = 0; c < K; c++) {
      u -= world.logging[m * K + c]!;
      if (u < 0) {
        a = c;
        break;
      }
    }
    action[i] = a;
    pscore[i] = world.logging[m * K + a]!;
    const qa = world.q[m * K + a]!;
    reward[i] = options.deterministicRewards === true ? qa : rng.next() < qa ? 1 : 0;
    for (let c = 0; c < K; c++) {
      probs[i * K + c] = world.target[m * K + c]!;
      q[i * K + c] = world.q[m * K + c]!;
      truth += world.target[m * K + c]! * world.q[m * K + c]!;
    }
  }
  return {
    data: { n, nActions: K, action, reward, pscore, context, dim: d },
    target: { probs },
    q,
    truth: truth / n,
    type,
  };
}

/** Mean and standard error of the mean. */
export function meanAndSe(xs: readonly number[]): { mean: number; se: number } {
  const n = xs.length;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const v = xs.reduce((s, x) => s + (x - mean) * (x - mean), 0) / (n - 1);
  return { mean, se: Math.sqrt(v / n) };
}
