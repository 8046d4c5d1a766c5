/**
 * Slate estimators (Li et al. 2018): IIPS and PBM against hand-computed small cases, and unbiasedness in a world that
 * follows the position-based click model, whose true value is computed exactly by enumerating every ranking.
 */
import { describe, expect, it } from 'vitest';
import { bootstrapRoundTerms, iips, pbm, type LoggedSlates, type SlateTargetPolicy } from '../../../src/analyses/ope/index.js';
import { createRng } from '../../../src/stats/rng.js';

// Two slates of two positions over items {0, 1, 2}.
//   row slate item position reward pscore  pi_e(item at 0, at 1)  pi_b(item at 0, at 1)
//   0   0     0    0        1      0.5     0.6, 0.2              0.5, 0.3
//   1   0     1    1        0      0.4     0.3, 0.5              0.3, 0.4
//   2   1     2    0        0      0.2     0.1, 0.3              0.2, 0.3
//   3   1     0    1        1      0.3     0.6, 0.2              0.5, 0.3
const data: LoggedSlates = {
  nSlates: 2,
  nActions: 3,
  nPositions: 2,
  offsets: Int32Array.from([0, 2, 4]),
  action: Int32Array.from([0, 1, 2, 0]),
  position: Int32Array.from([0, 1, 0, 1]),
  reward: Float64Array.from([1, 0, 0, 1]),
  pscore: Float64Array.from([0.5, 0.4, 0.2, 0.3]),
  loggingMarginals: Float64Array.from([0.5, 0.3, 0.3, 0.4, 0.2, 0.3, 0.5, 0.3]),
};
const target: SlateTargetPolicy = { marginals: Float64Array.from([0.6, 0.2, 0.3, 0.5, 0.1, 0.3, 0.6, 0.2]) };

describe('IIPS, hand-computed', () => {
  it('sums w r per slate at the logged positions and averages over slates', () => {
    const slate0 = (0.6 / 0.5) * 1 + (0.5 / 0.4) * 0; // 1.2
    const slate1 = (0.1 / 0.2) * 0 + (0.2 / 0.3) * 1; // 0.666...
    const e = iips().estimate(data, target);
    expect(e.name).toBe('iips');
    expect(e.n).toBe(2);
    expect(e.value).toBeCloseTo((slate0 + slate1) / 2, 15);
    const mean = (slate0 + slate1) / 2;
    const se = Math.sqrt(((slate0 - mean) ** 2 + (slate1 - mean) ** 2) / 1 / 2);
    expect(e.se).toBeCloseTo(se, 15);
    expect([...iips().roundTerms(data, target).additive!]).toEqual([slate0, slate1]);
  });
});

describe('PBM, hand-computed', () => {
  it('weights each click by the examination-weighted item propensities mu_e / mu_b', () => {
    // theta = (1, 0.5): mu_e(item 0) = 0.6 + 0.5 * 0.2 = 0.7, mu_b(item 0) = 0.5 + 0.5 * 0.3 = 0.65.
    const e = pbm({ examination: [1, 0.5] }).estimate(data, target);
    expect(e.value).toBeCloseTo((0.7 / 0.65 + 0.7 / 0.65) / 2, 15);
    expect(e.se).toBe(0); // both slates contribute the same
  });

  it('only the ratios of the examination probabilities matter; equal ones give the position-blind item weights', () => {
    expect(pbm({ examination: [2, 1] }).estimate(data, target).value).toBeCloseTo(pbm({ examination: [1, 0.5] }).estimate(data, target).value, 15);
    const blind = pbm({ examination: [1, 1] }).estimate(data, target).value;
    expect(blind).toBeCloseTo(((0.6 + 0.2) / (0.5 + 0.3) + (0.6 + 0.2) / (0.5 + 0.3)) / 2, 15);
  });

  it('refuses missing logging marginals, bad examination and inconsistent propensities', () => {
    const { loggingMarginals: _, ...noMarginals } = data;
    expect(() => pbm({ examination: [1, 0.5] }).estimate(noMarginals, target)).toThrow("pbm: needs loggingMarginals, the logging policy's probability of each shown item at every position");
    expect(() => pbm({ examination: [0, 0] })).toThrow('pbm: examination must be finite numbers >= 0, not all 0 (got [0, 0])');
    expect(() => pbm({ examination: [1, 0.5, 0.2] }).estimate(data, target)).toThrow('pbm: examination has 3 entries, expected one per position (2)');
    const bad = { ...data, loggingMarginals: Float64Array.from([0.4, 0.3, 0.3, 0.4, 0.2, 0.3, 0.5, 0.3]) };
    expect(() => pbm({ examination: [1, 1] }).estimate(bad, target)).toThrow('pbm: loggingMarginals[0][0] = 0.4 differs from pscore[0] = 0.5 (the same probability)');
    const twice = { ...data, position: Int32Array.from([0, 0, 0, 1]) };
    expect(() => iips().estimate(twice, target)).toThrow('iips: slate 0 has two rows at position 0');
  });
});

/** All ordered pairs of distinct items (rankings of length 2) of K items, with Plackett-Luce probabilities. */
function rankings(weights: number[]): Array<{ items: [number, number]; p: number }> {
  const total = weights.reduce((s, w) => s + w, 0);
  const out: Array<{ items: [number, number]; p: number }> = [];
  weights.forEach((w1, a) =>
    weights.forEach((w2, b) => {
      if (a !== b) out.push({ items: [a, b], p: (w1 / total) * (w2 / (total - w1)) });
    }),
  );
  return out;
}

function marginal(rs: Array<{ items: [number, number]; p: number }>, item: number, k: number): number {
  return rs.reduce((s, r) => s + (r.items[k] === item ? r.p : 0), 0);
}

describe('unbiased under the position-based click model (exact truth by enumeration)', () => {
  const theta = [1, 0.6];
  const rho = [0.5, 0.3, 0.2, 0.1];
  const logging = rankings([1, 1, 1, 1]); // uniform random rankings
  const targetR = rankings([6, 3, 1, 0.5]);
  const truth = targetR.reduce((s, r) => s + r.p * (theta[0]! * rho[r.items[0]]! + theta[1]! * rho[r.items[1]]!), 0);
  const onPolicy = logging.reduce((s, r) => s + r.p * (theta[0]! * rho[r.items[0]]! + theta[1]! * rho[r.items[1]]!), 0);

  function draw(seed: number, n: number): { data: LoggedSlates; target: SlateTargetPolicy } {
    const rng = createRng(seed);
    const action = new Int32Array(2 * n), position = new Int32Array(2 * n), reward = new Float64Array(2 * n), pscore = new Float64Array(2 * n);
    const lm = new Float64Array(4 * n), tm = new Float64Array(4 * n);
    const offsets = new Int32Array(n + 1);
    for (let s = 0; s < n; s++) {
      let u = rng.next();
      let r = logging[logging.length - 1]!;
      for (const x of logging) if ((u -= x.p) < 0) { r = x; break; }
      for (let k = 0; k < 2; k++) {
        const j = 2 * s + k;
        const item = r.items[k]!;
        action[j] = item;
        position[j] = k;
        reward[j] = rng.next() < theta[k]! * rho[item]! ? 1 : 0;
        pscore[j] = marginal(logging, item, k);
        for (let m = 0; m < 2; m++) {
          lm[j * 2 + m] = marginal(logging, item, m);
          tm[j * 2 + m] = marginal(targetR, item, m);
        }
      }
      offsets[s + 1] = 2 * s + 2;
    }
    return { data: { nSlates: n, nActions: 4, nPositions: 2, offsets, action, position, reward, pscore, loggingMarginals: lm }, target: { marginals: tm } };
  }

  it('IIPS and PBM land within 4 standard errors of the true value, away from the on-policy value', () => {
    const { data: d, target: t } = draw(11, 100_000);
    expect(Math.abs(truth - onPolicy)).toBeGreaterThan(0.1);
    for (const est of [iips(), pbm({ examination: theta })]) {
      const e = est.estimate(d, t);
      expect(Math.abs(e.value - truth), est.name).toBeLessThan(4 * e.se);
    }
  });

  it('over 60 independent logs of 1,000 slates, the mean of each estimator is within 4 standard errors of the truth', () => {
    const vi: number[] = [], vp: number[] = [];
    for (let rep = 0; rep < 60; rep++) {
      const { data: d, target: t } = draw(100 + rep, 1000);
      vi.push(iips().estimate(d, t).value);
      vp.push(pbm({ examination: theta }).estimate(d, t).value);
    }
    const sd = (xs: number[]) => { const m = xs.reduce((s, x) => s + x, 0) / xs.length; return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1)); };
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean(vi) - truth)).toBeLessThan(4 * sd(vi) / Math.sqrt(60));
    expect(Math.abs(mean(vp) - truth)).toBeLessThan(4 * sd(vp) / Math.sqrt(60));
  });

  it('the shared bootstrap resamples slates', () => {
    const { data: d, target: t } = draw(5, 2000);
    const named = [iips(), pbm({ examination: theta })].map((e) => ({ name: e.name, terms: e.roundTerms(d, t) }));
    const b = bootstrapRoundTerms(named, { n: 300, seed: 1 });
    for (const e of b.estimates) {
      expect(e.ci[0]).toBeLessThan(e.value);
      expect(e.ci[1]).toBeGreaterThan(e.value);
    }
  });
});
