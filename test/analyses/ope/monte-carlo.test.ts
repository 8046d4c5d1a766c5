/**
 * Statistical properties of the estimators on synthetic logged bandits with known ground truth (see synthetic.ts).
 * Every tolerance is stated in standard errors of the Monte-Carlo experiment itself, and every experiment is seeded,
 * so the tests are deterministic.
 */
import { describe, expect, it } from 'vitest';
import {
  dm,
  dr,
  drOs,
  fitRewardModel,
  ipw,
  sndr,
  snipw,
  switchDr,
  type Estimator,
} from '../../../src/analyses/ope/index.js';
import { createRng } from '../../../src/stats/rng.js';
import { drawBandit, makeWorld, meanAndSe } from './synthetic.js';

const world = makeWorld(2024, { nActions: 4, dim: 2, nContexts: 50, betaLog: 1, betaTarget: 6 });
// tau and lambda small enough to act on this world's weights (max weight about 3.5).
const estimators: Estimator[] = [ipw(), snipw(), dm(), dr(), sndr(), switchDr({ tau: 2 }), drOs({ lambda: 4 })];

describe('synthetic world sanity', () => {
  it('has overlap but a target different from the logging policy', () => {
    let maxWeight = 0;
    for (let j = 0; j < world.target.length; j++) maxWeight = Math.max(maxWeight, world.target[j]! / world.logging[j]!);
    expect(maxWeight).toBeGreaterThan(2); // the thresholds above bind
    expect(maxWeight).toBeLessThan(4);
  });
});

describe('unbiasedness over 1000 draws of n = 500 (mean error within 4 standard errors of 0)', () => {
  const R = 1000;
  const n = 500;
  const rng = createRng(99);
  const errors: Record<string, number[]> = {};
  const wrongErrors: Record<string, number[]> = {};
  const covered: Record<string, number> = {};
  const coveredWrong: Record<string, number> = {};
  for (const e of estimators) {
    errors[e.name] = [];
    wrongErrors[e.name] = [];
    covered[e.name] = 0;
    coveredWrong[e.name] = 0;
  }
  // A deliberately wrong (but fixed, data-independent) reward model: 0.5 everywhere.
  const wrong = new Float64Array(n * world.nActions).fill(0.5);
  for (let rep = 0; rep < R; rep++) {
    const draw = drawBandit(world, n, rng);
    for (const e of estimators) {
      const exact = e.estimate(draw.data, draw.target, draw.q);
      errors[e.name]!.push(exact.value - draw.truth);
      if (exact.ci[0] <= world.populationValue && world.populationValue <= exact.ci[1]) covered[e.name]!++;
      const w = e.estimate(draw.data, draw.target, wrong);
      wrongErrors[e.name]!.push(w.value - draw.truth);
      if (w.ci[0] <= world.populationValue && world.populationValue <= w.ci[1]) coveredWrong[e.name]!++;
    }
  }

  it('ipw is unbiased for the conditional truth (1/n) sum_i sum_a pi_e q', () => {
    const { mean, se } = meanAndSe(errors['ipw']!);
    expect(Math.abs(mean)).toBeLessThan(4 * se);
  });

  it('dr is unbiased with the exact model and with a wrong one (propensities known)', () => {
    for (const errs of [errors['dr']!, wrongErrors['dr']!]) {
      const { mean, se } = meanAndSe(errs);
      expect(Math.abs(mean)).toBeLessThan(4 * se);
    }
  });

  it('with the exact model, the DR correction has mean zero for every weight transform (switch-dr, dr-os)', () => {
    for (const name of ['switch-dr', 'dr-os']) {
      const { mean, se } = meanAndSe(errors[name]!);
      expect(Math.abs(mean)).toBeLessThan(4 * se);
    }
  });

  it('with the exact model dm has no error at all', () => {
    for (const err of errors['dm']!) expect(Math.abs(err)).toBeLessThan(1e-12);
  });

  it('the wrong model biases dm (so the unbiasedness checks above are not vacuous)', () => {
    const { mean, se } = meanAndSe(wrongErrors['dm']!);
    expect(Math.abs(mean)).toBeGreaterThan(10 * se + 0.01);
  });

  // Coverage of the normal-approximation 95% intervals for the population value (contexts are drawn afresh each
  // time, which is the sampling the per-round influence terms describe). Tolerance 0.95 +- 4 sqrt(0.95 * 0.05 / R),
  // i.e. [0.922, 0.978] for R = 1000.
  const tol = 4 * Math.sqrt((0.95 * 0.05) / R);
  it.each(['ipw', 'snipw', 'dm', 'dr', 'sndr', 'switch-dr', 'dr-os'])(
    '%s interval covers at the nominal 95% rate with the exact model',
    (name) => {
      expect(Math.abs(covered[name]! / R - 0.95)).toBeLessThan(tol);
    },
  );
  it.each(['ipw', 'snipw', 'dr', 'sndr'])(
    '%s interval covers at the nominal rate with a wrong model too (dm, switch-dr, dr-os are then biased)',
    (name) => {
      expect(Math.abs(coveredWrong[name]! / R - 0.95)).toBeLessThan(tol);
    },
  );
});

describe('exact identities', () => {
  it('dm with the exact reward model equals the conditional truth', () => {
    const draw = drawBandit(world, 2000, createRng(5));
    expect(dm().estimate(draw.data, draw.target, draw.q).value).toBeCloseTo(draw.truth, 12);
  });

  it('with deterministic rewards r = q(x, a) and q_hat = q, dr = sndr = switch-dr = dr-os = dm = truth', () => {
    const draw = drawBandit(world, 2000, createRng(6), { deterministicRewards: true });
    const v = dm().estimate(draw.data, draw.target, draw.q).value;
    expect(v).toBeCloseTo(draw.truth, 12);
    for (const e of [dr(), sndr(), switchDr({ tau: 2 }), drOs({ lambda: 4 }), dr({ clip: 1.5 })]) {
      expect(e.estimate(draw.data, draw.target, draw.q).value).toBeCloseTo(v, 12);
    }
    // ... while ipw, which ignores the model, still has sampling error.
    expect(Math.abs(ipw().estimate(draw.data, draw.target).value - v)).toBeGreaterThan(1e-6);
  });
});

describe('snipw is consistent', () => {
  it('its root-mean-square error shrinks like 1/sqrt(n) (n = 100 vs 10000, 60 draws each)', () => {
    const rmse = (n: number, seed: number): number => {
      const rng = createRng(seed);
      let ss = 0;
      for (let rep = 0; rep < 60; rep++) {
        const draw = drawBandit(world, n, rng);
        ss += (snipw().estimate(draw.data, draw.target).value - draw.truth) ** 2;
      }
      return Math.sqrt(ss / 60);
    };
    const small = rmse(100, 1);
    const large = rmse(10_000, 2);
    // Expected ratio 10; allow for Monte-Carlo noise in 60 draws.
    expect(large).toBeLessThan(small / 5);
    expect(large).toBeLessThan(0.02);
  });
});

describe('with a cross-fitted logistic reward model', () => {
  it('dr and sndr stay unbiased and dr covers at about the nominal rate (200 draws of n = 600)', () => {
    const R = 200;
    const rng = createRng(31);
    const errs: Record<string, number[]> = { dr: [], sndr: [], dm: [] };
    let covered = 0;
    for (let rep = 0; rep < R; rep++) {
      const draw = drawBandit(world, 600, rng);
      const model = fitRewardModel(draw.data, { folds: 3, seed: rep });
      expect(model.kind).toBe('logistic');
      const e = dr().estimate(draw.data, draw.target, model.predictions);
      errs['dr']!.push(e.value - draw.truth);
      if (e.ci[0] <= world.populationValue && world.populationValue <= e.ci[1]) covered++;
      errs['sndr']!.push(sndr().estimate(draw.data, draw.target, model.predictions).value - draw.truth);
      errs['dm']!.push(dm().estimate(draw.data, draw.target, model.predictions).value - draw.truth);
    }
    for (const name of ['dr', 'sndr']) {
      const { mean, se } = meanAndSe(errs[name]!);
      expect(Math.abs(mean)).toBeLessThan(4 * se);
    }
    expect(Math.abs(covered / R - 0.95)).toBeLessThan(4 * Math.sqrt((0.95 * 0.05) / R));
    // The model is well specified here, so even dm is close (bias well under a hundredth).
    expect(Math.abs(meanAndSe(errs['dm']!).mean)).toBeLessThan(0.01);
  });
});
