import { describe, expect, it } from 'vitest';
import {
  assignFolds,
  fitRewardModel,
  fitRewardRegression,
  predictReward,
  type LoggedBandit,
} from '../../../src/analyses/ope/index.js';
import { createRng } from '../../../src/stats/rng.js';
import { drawBandit, makeWorld } from './synthetic.js';

function bandit(action: number[], reward: number[], nActions: number, context?: number[], dim?: number): LoggedBandit {
  const data: LoggedBandit = {
    n: action.length,
    nActions,
    action: Int32Array.from(action),
    reward: Float64Array.from(reward),
    pscore: new Float64Array(action.length).fill(1 / nActions),
  };
  if (context !== undefined) {
    data.context = Float64Array.from(context);
    data.dim = dim ?? 1;
  }
  return data;
}

describe('logistic regression against known solutions', () => {
  it('without context and a vanishing penalty, q_hat(a) is the mean reward of action a (saturated MLE)', () => {
    // action 0: 3 of 4 rewarded, action 1: 1 of 5, action 2: 2 of 3.
    const data = bandit([0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2], [1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1], 3);
    const fit = fitRewardRegression(data, { l2: 1e-9 });
    expect(fit.kind).toBe('logistic');
    expect(fit.converged).toBe(true);
    expect(predictReward(fit, undefined, 0, 0)).toBeCloseTo(3 / 4, 7);
    expect(predictReward(fit, undefined, 0, 1)).toBeCloseTo(1 / 5, 7);
    expect(predictReward(fit, undefined, 0, 2)).toBeCloseTo(2 / 3, 7);
  });

  it('Challenger O-rings (24 launches, failure ~ temperature): R glm gives 15.2968142 - 0.2360207 t', () => {
    // Launch temperature (F) and whether any O-ring was damaged, 24 shuttle launches before Challenger; the glm
    // estimates and residual deviance 20.371 are the published R output for these data.
    const temp = [66, 70, 69, 80, 68, 67, 72, 73, 70, 57, 63, 70, 78, 67, 53, 67, 75, 70, 81, 76, 79, 75, 76, 58];
    const fail = [0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1];
    const data = bandit(new Array<number>(24).fill(0), fail, 1, temp, 1);
    const fit = fitRewardRegression(data, { l2: 1e-9 });
    expect(fit.converged).toBe(true);
    expect(fit.intercept[0]).toBeCloseTo(15.2968142, 4);
    expect(fit.slopes[0]).toBeCloseTo(-0.2360207, 6);
    let deviance = 0;
    for (let i = 0; i < 24; i++) {
      const p = predictReward(fit, data.context, i, 0);
      deviance -= 2 * (fail[i] === 1 ? Math.log(p) : Math.log(1 - p));
    }
    expect(deviance).toBeCloseTo(20.371, 3);
  });

  it('with a real penalty the fit satisfies the optimality (KKT) conditions of the documented objective', () => {
    // Objective: sum_i [log(1 + e^eta_i) - y_i eta_i] + (l2 / 2)(|gamma|^2 + sum_a beta_a^2 + |delta_a|^2) with
    // eta = b0 + beta_a + (gamma + delta_a) . z and z the standardised context. Rebuild the gradient independently.
    const world = makeWorld(3, { nActions: 3, dim: 2, nContexts: 40 });
    const draw = drawBandit(world, 300, createRng(4));
    const l2 = 2.5;
    const fit = fitRewardRegression(draw.data, { l2 });
    const { n, nActions: K, dim } = { n: 300, nActions: 3, dim: 2 };
    const ctx = draw.data.context!;
    const mean = [0, 0];
    const sd = [0, 0];
    for (let k = 0; k < dim; k++) {
      for (let i = 0; i < n; i++) mean[k]! += ctx[i * dim + k]! / n;
      for (let i = 0; i < n; i++) sd[k]! += (ctx[i * dim + k]! - mean[k]!) ** 2 / n;
      sd[k] = Math.sqrt(sd[k]!);
    }
    // Effective standardised coefficients per action: c_a = (intercept on z scale, slopes on z scale).
    const c = (a: number, k: number): number =>
      k === 0
        ? fit.intercept[a]! + fit.slopes[a * dim]! * mean[0]! + fit.slopes[a * dim + 1]! * mean[1]!
        : fit.slopes[a * dim + k - 1]! * sd[k - 1]!;
    // Residual sums G_a = sum_{i: a_i = a} (mu_i - y_i) z_i.
    const G = Array.from({ length: K }, () => [0, 0, 0]);
    for (let i = 0; i < n; i++) {
      const a = draw.data.action[i]!;
      const z = [1, (ctx[i * dim]! - mean[0]!) / sd[0]!, (ctx[i * dim + 1]! - mean[1]!) / sd[1]!];
      const mu = predictReward(fit, ctx, i, a);
      for (let k = 0; k < 3; k++) G[a]![k]! += (mu - draw.data.reward[i]!) * z[k]!;
    }
    // Stationarity: u_a = -G_a / l2 for every action; the shared part v = c_a - u_a must be the same for all actions,
    // with b0 free (sum_a G_a[0] = 0) and l2 gamma = -sum_a G_a[1..].
    const v = (a: number, k: number): number => c(a, k) + G[a]![k]! / l2;
    for (let k = 0; k < 3; k++) for (let a = 1; a < K; a++) expect(v(a, k)).toBeCloseTo(v(0, k), 7);
    expect(G[0]![0]! + G[1]![0]! + G[2]![0]!).toBeCloseTo(0, 8);
    for (let k = 1; k < 3; k++) {
      expect(l2 * v(0, k)).toBeCloseTo(-(G[0]![k]! + G[1]![k]! + G[2]![k]!), 7);
    }
  });
});

describe('ridge regression against the closed form', () => {
  it('matches the normal equations (X^T X + l2 P) theta = X^T y on a tiny example', () => {
    // One action, one feature x = [1, 2, 3, 4], y = [1, 3, 2, 5]; z = (x - 2.5) / sd with the population sd
    // sqrt(1.25). Parameters (b0, gamma, beta_0, delta_0), eta = (b0 + beta) + (gamma + delta) z, penalty on all but b0.
    const x = [1, 2, 3, 4];
    const y = [1, 3, 2, 5];
    const l2 = 0.7;
    const data = bandit([0, 0, 0, 0], y, 1, x, 1);
    const fit = fitRewardRegression(data, { l2, kind: 'ridge' });
    expect(fit.kind).toBe('ridge');
    const sd = Math.sqrt(1.25);
    const z = x.map((v) => (v - 2.5) / sd);
    const szz = z.reduce((s, v) => s + v * v, 0); // = 4
    const szy = z.reduce((s, v, i) => s + v * y[i]!, 0);
    // Minimise sum (y - a - c z)^2 / 2 + (l2/2)(beta^2 + gamma^2 + delta^2) with a = b0 + beta, c = gamma + delta:
    // beta = 0 at the optimum (b0 absorbs the level), a = mean(y); splitting c evenly minimises gamma^2 + delta^2 =
    // c^2 / 2, so the slope solves (szz + l2 / 2) c = szy.
    const cHat = szy / (szz + l2 / 2);
    const meanY = 11 / 4;
    for (let i = 0; i < 4; i++) expect(predictReward(fit, data.context, i, 0)).toBeCloseTo(meanY + cHat * z[i]!, 10);
    expect(fit.slopes[0]).toBeCloseTo(cHat / sd, 10);
  });

  it('is chosen automatically for non-binary rewards and recovers a linear reward function', () => {
    const rng = createRng(8);
    const n = 4000;
    const action: number[] = [];
    const reward: number[] = [];
    const context: number[] = [];
    for (let i = 0; i < n; i++) {
      const a = rng.int(2);
      const x1 = rng.normal();
      const x2 = rng.normal();
      action.push(a);
      context.push(x1, x2);
      reward.push(a === 0 ? 1 + 2 * x1 - x2 : -1 + 0.5 * x2 + 0.1 * rng.normal());
    }
    const fit = fitRewardRegression(bandit(action, reward, 2, context, 2));
    expect(fit.kind).toBe('ridge');
    expect(fit.intercept[0]).toBeCloseTo(1, 2);
    expect(fit.slopes[0]).toBeCloseTo(2, 2);
    expect(fit.slopes[1]).toBeCloseTo(-1, 2);
    expect(fit.intercept[1]).toBeCloseTo(-1, 2);
    expect(fit.slopes[2]).toBeCloseTo(0, 2);
    expect(fit.slopes[3]).toBeCloseTo(0.5, 2);
  });
});

describe('fitRewardModel cross-fitting', () => {
  const world = makeWorld(11, { nActions: 3, dim: 2, nContexts: 30 });
  const draw = drawBandit(world, 400, createRng(12));

  it('assigns balanced folds that depend only on (n, folds, seed)', () => {
    const folds = assignFolds(400, 4, 9);
    const sizes = [0, 0, 0, 0];
    for (const f of folds) sizes[f]!++;
    expect(sizes).toEqual([100, 100, 100, 100]);
    expect(Array.from(assignFolds(400, 4, 9))).toEqual(Array.from(folds));
    expect(Array.from(assignFolds(400, 4, 10))).not.toEqual(Array.from(folds));
  });

  it("predictions for fold f do not change when the rewards and actions of fold f's own rows change", () => {
    const fit = fitRewardModel(draw.data, { folds: 4, seed: 9 });
    const K = 3;
    for (const f of [0, 2]) {
      // Flip the rewards (and move the actions) of every row in fold f.
      const reward = Float64Array.from(draw.data.reward);
      const action = Int32Array.from(draw.data.action);
      for (let i = 0; i < 400; i++) {
        if (fit.folds[i] !== f) continue;
        reward[i] = 1 - reward[i]!;
        action[i] = (action[i]! + 1) % K;
      }
      const refit = fitRewardModel({ ...draw.data, reward, action }, { folds: 4, seed: 9 });
      expect(Array.from(refit.folds)).toEqual(Array.from(fit.folds));
      let othersChanged = 0;
      for (let i = 0; i < 400; i++) {
        for (let a = 0; a < K; a++) {
          const before = fit.predictions[i * K + a]!;
          const after = refit.predictions[i * K + a]!;
          if (fit.folds[i] === f) expect(after).toBe(before); // bit-identical: no row of fold f was used
          else if (Math.abs(after - before) > 1e-6) othersChanged++;
        }
      }
      // ... while every other fold's model saw the flipped rows, so (almost) all their predictions moved.
      expect(othersChanged).toBeGreaterThan(0.9 * 300 * K);
    }
  });

  it('predictions for a row equal its fold model, which was fit on the other folds only', () => {
    const fit = fitRewardModel(draw.data, { folds: 3, seed: 1 });
    expect(fit.models).toHaveLength(3);
    for (let f = 0; f < 3; f++) expect(fit.models[f]!.nRows).toBe(400 - fit.folds.filter((x) => x === f).length);
    const rows = Int32Array.from([...Array(400).keys()].filter((i) => fit.folds[i] !== 1));
    const direct = fitRewardRegression(draw.data, { rows });
    for (let i = 0; i < 400; i++) {
      if (fit.folds[i] !== 1) continue;
      for (let a = 0; a < 3; a++) expect(fit.predictions[i * 3 + a]).toBe(predictReward(direct, draw.data.context, i, a));
    }
  });

  it('is close to the true expected reward when the model is well specified', () => {
    const big = drawBandit(world, 20_000, createRng(13));
    const fit = fitRewardModel(big.data, { folds: 5, seed: 2 });
    let err = 0;
    for (let j = 0; j < big.q.length; j++) err += Math.abs(fit.predictions[j]! - big.q[j]!);
    expect(err / big.q.length).toBeLessThan(0.02);
    for (const m of fit.models) expect(m.converged).toBe(true);
  });

  it('handles an action never logged in a training fold (falls back to the shared model) and constant rewards', () => {
    const data = bandit([0, 0, 0, 0, 0, 0, 1, 1, 1, 1], [1, 0, 1, 1, 0, 1, 0, 0, 1, 0], 3, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 1);
    const fit = fitRewardModel(data, { folds: 2, seed: 3 });
    for (const p of fit.predictions) expect(p > 0 && p < 1).toBe(true);
    const zeros = fitRewardModel({ ...data, reward: new Float64Array(10) }, { folds: 2 });
    expect(Array.from(zeros.predictions).every((p) => p === 0)).toBe(true);
  });

  it('rejects bad options and data with clear RangeErrors', () => {
    expect(() => fitRewardModel(draw.data, { folds: 1 })).toThrow(/folds must be an integer in \[2, n = 400\], got 1/);
    expect(() => fitRewardModel(draw.data, { l2: 0 })).toThrow(/l2 must be a finite number > 0/);
    expect(() => fitRewardModel({ ...draw.data, reward: Float64Array.from(draw.data.reward).fill(2, 0, 1) }, { kind: 'logistic' })).toThrow(
      /logistic reward model needs rewards in \[0, 1\], reward\[0\] = 2/,
    );
    expect(() => fitRewardModel({ ...draw.data, dim: 3 })).toThrow(/context has length 800, expected 1200/);
    expect(() => fitRewardRegression(draw.data, { rows: Int32Array.from([0, 400]) })).toThrow(/rows\[1\] = 400/);
  });
});

describe('fitting on distinct design rows (groupRows)', () => {
  // A context of few distinct values (positions 1..3 and a two-level flag): 4 actions x 6 contexts = 24 design rows
  // among 3,000 rounds.
  const rng = createRng(21);
  const n = 3000, K = 4;
  const action = Int32Array.from({ length: n }, () => rng.int(K));
  const context = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) (context[2 * i] = 1 + rng.int(3)), (context[2 * i + 1] = rng.int(2));
  const click = Float64Array.from({ length: n }, (_, i) => (rng.next() < 0.1 + 0.05 * action[i]! + 0.1 * context[2 * i + 1]! ? 1 : 0));
  const dwell = Float64Array.from({ length: n }, (_, i) => 3 * action[i]! - context[2 * i]! + rng.normal());
  const data = (reward: Float64Array): LoggedBandit => ({ n, nActions: K, action, reward, pscore: new Float64Array(n).fill(0.25), context, dim: 2 });

  it.each([
    ['logistic', click],
    ['ridge', dwell],
  ] as const)('gives the row-by-row %s fit up to rounding (coefficients to 1e-9)', (kind, reward) => {
    for (const rows of [undefined, Int32Array.from({ length: 2000 }, (_, j) => j + 500)]) {
      const grouped = fitRewardRegression(data(reward), { kind, groupRows: true, ...(rows ? { rows } : {}) });
      const byRow = fitRewardRegression(data(reward), { kind, groupRows: false, ...(rows ? { rows } : {}) });
      expect(grouped.nRows).toBe(rows ? 2000 : n);
      expect(grouped.converged && byRow.converged).toBe(true);
      for (const key of ['intercept', 'slopes'] as const)
        grouped[key].forEach((c, j) => expect(Math.abs(c - byRow[key][j]!)).toBeLessThan(1e-9 * (1 + Math.abs(byRow[key][j]!))));
    }
    // the default groups here (24 design rows among 3,000), and cross-fitting does too
    const auto = fitRewardModel(data(reward), { kind, folds: 3 });
    const rowwise = fitRewardModel(data(reward), { kind, folds: 3, groupRows: false });
    auto.predictions.forEach((p, j) => expect(Math.abs(p - rowwise.predictions[j]!)).toBeLessThan(1e-9));
  });
});
