/**
 * Acceptance: Coat (Schnabel et al. 2016, "Recommendations as treatments: debiasing learning and evaluation"). Users
 * chose which items to rate in `train` (missing not at random); in `test` each rated 16 items drawn at random. The
 * estimand is the mean rating of a uniformly random item for a uniformly random user,
 *     V = (1/U) sum_u (1/I) sum_i E[Y_ui],
 * which the randomized test mean estimates without selection bias. As a contextual bandit: context = user, action =
 * item, reward = rating, the logging policy the item a user picks to rate, pi_b(i | u) = P_ui / sum_j P_uj from the
 * published propensities P_ui = P(u rates i) (every user has 24 train ratings, so users are equally weighted), and
 * the target policy uniform over the 300 items. IPW and SNIPW over the self-selected train ratings must move from
 * the naive train mean toward the test mean, and equal the same formulas computed here from the matrices.
 * The data are read from ../shared (they may not be copied into the repository); the CSV handed to the CLI is written
 * to a temporary directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASETS, cli, tmpDir } from '../../helpers.js';

const COAT = path.join(DATASETS, 'coat');
const matrix = (name: string): number[][] =>
  fs.readFileSync(path.join(COAT, name), 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));

describe('ope on Coat: IPW and SNIPW correct the self-selection of ratings', () => {
  const train = matrix('train.ascii');
  const test = matrix('test.ascii');
  const P = matrix('propensities.ascii');
  const users = matrix('user_item_features/user_features.ascii');
  const U = train.length, I = train[0]!.length;

  // Independent arithmetic over the matrices.
  let nTrain = 0, sumTrain = 0, nTest = 0, sumTest = 0;
  let swy = 0, sw = 0;
  const rows: string[] = ['ts,user_id,item_id,position,reward,propensity,' + users[0]!.map((_, k) => `uf${k}`).join(',')];
  for (let u = 0; u < U; u++) {
    const Su = P[u]!.reduce((s, p) => s + p, 0);
    for (let i = 0; i < I; i++) {
      const y = train[u]![i]!;
      if (test[u]![i]! > 0) (nTest++, (sumTest += test[u]![i]!));
      if (y === 0) continue;
      const pb = P[u]![i]! / Su;
      const w = 1 / I / pb;
      nTrain++;
      sumTrain += y;
      swy += w * y;
      sw += w;
      const ts = new Date(Date.UTC(2026, 0, 1) + nTrain * 1000).toISOString();
      rows.push(`${ts},u${u},${i},1,${y},${pb},${users[u]!.join(',')}`);
    }
  }
  const naive = sumTrain / nTrain, truth = sumTest / nTest, ipw = swy / nTrain, snipw = swy / sw;
  const dir = tmpDir();
  const file = path.join(dir, 'coat-train.csv');
  fs.writeFileSync(file, rows.join('\n') + '\n');

  const r = cli(['ope', '--logs', file, '--set', 'reward_kind=rating', '--reward', 'value', '--outcome-kinds', 'rating',
    '--context', users[0]!.map((_, k) => `uf${k}`).join(','), '--reward-model', 'ridge', '--format', 'json']);
  const out = JSON.parse(r.stdout);
  const get = (name: string) => out.metrics.find((m: any) => m.name === name && (m.group?.interval ?? 'normal') !== 'bootstrap');

  it('reads every train rating as one round over 300 actions', () => {
    expect(r.stderr).toBe('');
    expect(nTrain).toBe(6960);
    expect(out.inputs.rounds).toBe(6960);
    expect(out.inputs.actions).toBe(300);
  });

  it('on_policy_value is the naive (self-selected) train mean', () => {
    expect(get('on_policy_value').value).toBeCloseTo(naive, 12);
  });

  it('ipw and snipw equal the matrix computation and move from the naive mean toward the randomized test mean', () => {
    expect(get('ipw').value).toBeCloseTo(ipw, 12);
    expect(get('snipw').value).toBeCloseTo(snipw, 12);
    for (const v of [get('ipw').value, get('snipw').value]) {
      expect(Math.abs(v - truth)).toBeLessThan(Math.abs(naive - truth));
      expect(v).toBeLessThan(naive); // the naive mean is too high: users rate what they like
      expect(v).toBeGreaterThan(truth - 0.1);
    }
    // The figures quoted in docs/ope.md.
    expect(naive.toFixed(3)).toBe('2.611');
    expect(truth.toFixed(3)).toBe('2.229');
    expect(ipw.toFixed(3)).toBe('2.425');
    expect(snipw.toFixed(3)).toBe('2.331');
  });

  it('the diagnostics do not object, and every estimator reports', () => {
    for (const check of ['effective_sample_size', 'max_weight_share', 'support_deficiency', 'mean_weight'])
      expect(out.verdicts.find((v: any) => v.check === check).status).toBe('ok');
    // docs/ope.md: every estimator moves from the naive mean toward the randomized one.
    for (const name of ['dm', 'dr', 'sndr', 'switch-dr', 'dr-os']) {
      expect(get(name).value).toBeLessThan(naive - 0.15);
      expect(get(name).value).toBeGreaterThan(truth);
    }
  });
});
