/**
 * The reward model's per-round terms (crossFittedTerms) against the n x K predictions they replace, and an n x K that
 * could not be held (2e5 rounds x 60,000 actions = 1.2e10 numbers, 96 GB) evaluated within a small memory bound.
 */
import { describe, expect, it } from 'vitest';
import {
  assignFolds,
  contextClasses,
  crossFittedTerms,
  fitRewardModel,
  fitRewardModelTerms,
  opeOnRounds,
  predictReward,
  RewardModelTooLarge,
  standardEstimators,
  type LoggedBandit,
  type TargetPolicy,
} from '../../../src/analyses/ope/index.js';
import type { RoundColumns } from '../../../src/analyses/ope/query.js';
import { UserError } from '../../../src/errors.js';
import { createRng } from '../../../src/stats/rng.js';

/** A logged bandit whose context takes `levels` values per feature (so contexts repeat), or continuous values. */
function designed(seed: number, n: number, K: number, dim: number, levels: number | 'continuous'): LoggedBandit {
  const rng = createRng(seed);
  const action = new Int32Array(n);
  const reward = new Float64Array(n);
  const pscore = new Float64Array(n);
  const context = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < dim; k++) context[i * dim + k] = levels === 'continuous' ? rng.next() * 4 - 2 : rng.int(levels);
    action[i] = rng.int(K);
    pscore[i] = 1 / K;
    const x0 = dim > 0 ? context[i * dim]! : 0;
    reward[i] = rng.next() < 0.2 + 0.1 * (action[i]! % 3) + 0.05 * x0 ? 1 : 0;
  }
  return { n, nActions: K, action, reward, pscore, ...(dim > 0 ? { context, dim } : {}) };
}

/** Brute force: sum_a pi_e(a | x_i) q_hat(x_i, a) over the materialised predictions, in action order. */
function bruteDm(q: Float64Array, target: TargetPolicy, n: number, K: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = (target.rowOf === undefined ? i : target.rowOf[i]!) * K;
    let s = 0;
    for (let a = 0; a < K; a++) s += target.probs[t + a]! * q[i * K + a]!;
    out[i] = s;
  }
  return out;
}

function randomRows(seed: number, rows: number, K: number): Float64Array {
  const rng = createRng(seed);
  const p = new Float64Array(rows * K);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let a = 0; a < K; a++) s += (p[r * K + a] = rng.next() ** 2);
    for (let a = 0; a < K; a++) p[r * K + a] = p[r * K + a]! / s;
  }
  return p;
}

describe('crossFittedTerms equals the n x K predictions bit for bit', () => {
  const cases: Array<[string, number, number, number, number | 'continuous']> = [
    ['no context', 600, 7, 0, 0],
    ['repeated contexts', 900, 11, 2, 3],
    ['continuous contexts', 500, 6, 3, 'continuous'],
  ];
  for (const [label, n, K, dim, levels] of cases) {
    it(label, () => {
      const data = designed(n + K, n, K, dim, levels);
      const dense = fitRewardModel(data, { folds: 4, seed: 5 });
      const fit = fitRewardModelTerms(data, { folds: 4, seed: 5 });
      expect(Array.from(fit.folds)).toEqual(Array.from(dense.folds));
      const qa = fit.terms.factual();
      for (let i = 0; i < n; i++) expect(qa[i]).toBe(dense.predictions[i * K + data.action[i]!]);
      const rng = createRng(1);
      const rowOf = new Int32Array(n);
      for (let i = 0; i < n; i++) rowOf[i] = rng.int(4);
      const targets: TargetPolicy[] = [
        { probs: randomRows(2, 1, K), rowOf: new Int32Array(n) },
        { probs: randomRows(3, 4, K), rowOf },
        { probs: randomRows(4, n, K) },
      ];
      for (const target of targets) {
        expect(Array.from(fit.terms.policyValue(target))).toEqual(Array.from(bruteDm(dense.predictions, target, n, K)));
        // Every estimator, from either form of the model: the same round terms.
        for (const e of standardEstimators({ tau: 3, lambda: 5 })) {
          const a = e.estimate(data, target, dense.predictions);
          const b = e.estimate(data, target, fit.terms);
          expect(b.value).toBe(a.value);
          expect(b.se).toBe(a.se);
        }
      }
    });
  }

  it('context classes are the distinct (fold, context row) pairs', () => {
    const data = designed(9, 2000, 5, 2, 4);
    const folds = assignFolds(2000, 5, 1);
    const { classOf, representative, count } = contextClasses(data, folds);
    const keys = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const k = `${folds[i]}|${data.context![2 * i]}|${data.context![2 * i + 1]}`;
      if (!keys.has(k)) keys.set(k, classOf[i]!);
      expect(classOf[i]).toBe(keys.get(k));
    }
    expect(count).toBe(keys.size); // at most 5 folds x 16 contexts
    for (let c = 0; c < count; c++) expect(classOf[representative[c]!]).toBe(c);
  });

  it('refuses, before computing, more model evaluations than allowed', () => {
    const data = designed(4, 300, 50, 1, 'continuous');
    const fit = fitRewardModelTerms(data, { folds: 3, maxEvaluations: 1000 });
    expect(() => fit.terms.policyValue({ probs: new Float64Array(50).fill(1 / 50), rowOf: new Int32Array(300) })).toThrow(RewardModelTooLarge);
    expect(() => fitRewardModel(designed(1, 3000, 50_000, 0, 0))).toThrow(/3000 rounds x 50000 actions would be 150000000 numbers.*fitRewardModelTerms/);
  });
});

/** Exposure rows as the store returns them: one item per decision, every (item, position) pair logged at least once. */
function columns(n: number, K: number, L: number, seed: number): RoundColumns {
  const rng = createRng(seed);
  const cols: RoundColumns = {
    n,
    decisionKey: new Float64Array(n),
    requestId: [],
    item: [],
    position: new Float64Array(n),
    pscore: new Float64Array(n),
    reward: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const id = String(i);
    cols.decisionKey[i] = i;
    cols.requestId.push(`r${id}`);
    const item = i < K * L ? i % K : rng.int(K);
    const position = i < K * L ? Math.floor(i / K) : rng.int(L);
    cols.item.push(String(item));
    cols.position[i] = position + 1;
    cols.pscore[i] = 0.5 / K + (item % 2) * (1 / K);
    cols.reward[i] = rng.next() < 0.04 + 0.02 * position + (item % 7 === 0 ? 0.05 : 0) ? 1 : 0;
  }
  return cols;
}

describe('ope with the fitted reward model on an n x K that would not fit in memory', () => {
  it('small case: the fitted path equals the dense n x K predictions of the same cross-fitted model', async () => {
    const n = 3000;
    const K = 40;
    const cols = columns(n, K, 3, 11);
    // The same model ope fits: features = one-hot positions 2 and 3, folds = min(5, n), seed.
    const context = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) if (cols.position[i]! > 1) context[i * 2 + cols.position[i]! - 2] = 1;
    const action = Int32Array.from(cols.item, (x) => Number(x));
    const dense = fitRewardModel({ n, nActions: K, action, reward: cols.reward, pscore: cols.pscore, context, dim: 2 }, { folds: 5, seed: 3 });
    const o = { project: 'p', bootstrap: 50, seed: 3 };
    const fitted = await opeOnRounds(o, async () => cols);
    const brute = await opeOnRounds(
      { ...o, rewardPredictions: (round) => Array.from(dense.predictions.subarray(round.round * K, round.round * K + K)) },
      async () => cols,
    );
    expect(fitted.metrics.length).toBe(brute.metrics.length);
    fitted.metrics.forEach((m, j) => {
      const b = brute.metrics[j]!;
      expect([m.name, m.group]).toEqual([b.name, b.group]);
      expect(Math.abs(m.value! - b.value!)).toBeLessThanOrEqual(1e-12);
      if (b.ci) [0, 1].forEach((k) => expect(Math.abs(m.ci![k]! - b.ci![k]!)).toBeLessThanOrEqual(1e-12));
    });
    expect(fitted.verdicts).toEqual(brute.verdicts);
  });

  it('2e5 rounds x 60,000 actions (1.2e10 predictions, 96 GB as a matrix) run within a 1.5 GB memory bound', async () => {
    const n = 200_000;
    const K = 60_000;
    const cols = columns(n, K, 3, 5);
    const before = process.memoryUsage();
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const result = await opeOnRounds({ project: 'p', bootstrap: 0, seed: 1 }, async () => cols);
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(result.inputs.actions).toBe(K);
    expect(peak - before.rss).toBeLessThan(1.5e9);
    const value = (name: string) => result.metrics.find((m) => m.name === name && m.group?.interval === 'normal')!.value!;

    // Brute force on the same cross-fitted models: dm = mean_i (1/K) sum_a q_hat(x_i, a), summed over every action
    // for a sample of rounds, and the per-round terms of every round from the class-shared computation.
    const context = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) if (cols.position[i]! > 1) context[i * 2 + cols.position[i]! - 2] = 1;
    const action = Int32Array.from(cols.item, (x) => Number(x));
    const data: LoggedBandit = { n, nActions: K, action, reward: cols.reward, pscore: cols.pscore, context, dim: 2 };
    const fit = fitRewardModelTerms(data, { folds: 5, seed: 1 });
    const target: TargetPolicy = { probs: new Float64Array(K).fill(1 / K), rowOf: new Int32Array(n) };
    const dmTerms = fit.terms.policyValue(target);
    const rng = createRng(2);
    for (let s = 0; s < 40; s++) {
      const i = rng.int(n);
      let v = 0;
      for (let a = 0; a < K; a++) v += (1 / K) * predictReward(fit.models[fit.folds[i]!]!, context, i, a);
      expect(dmTerms[i]).toBe(v);
    }
    let sum = 0;
    for (let i = 0; i < n; i++) sum += dmTerms[i]!;
    expect(Math.abs(value('dm') - sum / n)).toBeLessThanOrEqual(1e-12);
    // dr = dm + mean of w_i (r_i - q_hat(x_i, a_i)), with q_hat(x_i, a_i) recomputed from the fold models.
    let corr = 0;
    for (let i = 0; i < n; i++) corr += ((1 / K) / cols.pscore[i]!) * (cols.reward[i]! - predictReward(fit.models[fit.folds[i]!]!, context, i, action[i]!));
    expect(Math.abs(value('dr') - (sum / n + corr / n))).toBeLessThanOrEqual(1e-12);
  }, 120_000);

  it('a fitted model needing more than 4e9 predictions (continuous context) fails before fitting, naming the sizes', async () => {
    const n = 200_000;
    const cols = columns(n, 60_000, 3, 5);
    const rng = createRng(8);
    cols.attributes = Array.from({ length: n }, () => JSON.stringify({ age: rng.next() * 80 }));
    const run = opeOnRounds({ project: 'p', bootstrap: 0, context: ['age'] }, async () => cols);
    await expect(run).rejects.toThrow(UserError);
    await expect(opeOnRounds({ project: 'p', bootstrap: 0, context: ['age'] }, async () => cols)).rejects.toThrow(
      /^reward model: the value of each target needs q_hat at 200,000 distinct \(fold, context\) groups of the 200,000 rounds x 60,000 actions = 12,000,000,000 predictions, more than the limit of 4,000,000,000 .*--since\/--until.*fewer or coarser --context features.*--reward-model none/,
    );
  });

  it('a table target of that size fails at once with a UserError naming the sizes and what to do', async () => {
    const cols = columns(200_000, 60_000, 3, 5);
    const table = { source: 'big.csv', key: 'round' as const, actions: ['0'], rows: new Map(), lines: new Map(), maxRound: 0 };
    const run = opeOnRounds({ project: 'p', bootstrap: 0, targets: [{ kind: 'table', name: 'big', table }] }, async () => cols);
    await expect(run).rejects.toThrow(UserError);
    await expect(opeOnRounds({ project: 'p', bootstrap: 0, targets: [{ kind: 'table', name: 'big', table }] }, async () => cols)).rejects.toThrow(
      /^target 'big': 200,000 rounds x 60,000 actions = 12,000,000,000 numbers \(96 GB\), more than the 134,217,728 \(1 GiB\) ope holds in memory; narrow the rounds with --since\/--until/,
    );
  });
});
