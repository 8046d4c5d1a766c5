import { describe, expect, it } from 'vitest';
import {
  dm,
  dr,
  drOs,
  ipw,
  roundTermsShared,
  sndr,
  snipw,
  standardEstimators,
  switchDr,
  type Estimator,
  type LoggedBandit,
  type TargetPolicy,
} from '../../../src/analyses/ope/index.js';
import { directMethodTerms, factualResiduals, importanceWeights, roundQuantities, SharedTerms, summarizeTerms, termsValue } from '../../../src/analyses/ope/terms.js';
import { createRng } from '../../../src/stats/rng.js';

// A hand-made log: n = 4 rounds, K = 3 actions.
//   round  action reward pscore  pi_e(.|x)            q_hat(x, .)
//   0      0      1      0.5     [0.2, 0.5, 0.3]      [0.6, 0.3, 0.4]
//   1      1      0      0.25    [0.1, 0.8, 0.1]      [0.5, 0.2, 0.1]
//   2      2      1      0.2     [0.0, 0.0, 1.0]      [0.3, 0.3, 0.7]
//   3      0      0      0.8     [0.5, 0.25, 0.25]    [0.4, 0.6, 0.5]
const data: LoggedBandit = {
  n: 4,
  nActions: 3,
  action: Int32Array.from([0, 1, 2, 0]),
  reward: Float64Array.from([1, 0, 1, 0]),
  pscore: Float64Array.from([0.5, 0.25, 0.2, 0.8]),
};
const target: TargetPolicy = {
  probs: Float64Array.from([0.2, 0.5, 0.3, 0.1, 0.8, 0.1, 0.0, 0.0, 1.0, 0.5, 0.25, 0.25]),
};
const qhat = Float64Array.from([0.6, 0.3, 0.4, 0.5, 0.2, 0.1, 0.3, 0.3, 0.7, 0.4, 0.6, 0.5]);

// Independent, spelled-out arithmetic.
const r = [1, 0, 1, 0];
const w = [0.2 / 0.5, 0.8 / 0.25, 1.0 / 0.2, 0.5 / 0.8]; // 0.4, 3.2, 5, 0.625
const dmRound = [
  0.2 * 0.6 + 0.5 * 0.3 + 0.3 * 0.4, // 0.39
  0.1 * 0.5 + 0.8 * 0.2 + 0.1 * 0.1, // 0.22
  1.0 * 0.7, // 0.7
  0.5 * 0.4 + 0.25 * 0.6 + 0.25 * 0.5, // 0.475
];
const resid = [1 - 0.6, 0 - 0.2, 1 - 0.7, 0 - 0.4]; // r - q_hat(x, a_logged)
const sum = (xs: number[]): number => xs.reduce((s, x) => s + x, 0);
const mean = (xs: number[]): number => sum(xs) / xs.length;
const Z95 = 1.959963984540054;

function sampleSe(terms: number[]): number {
  const m = mean(terms);
  return Math.sqrt(sum(terms.map((t) => (t - m) ** 2)) / (terms.length - 1) / terms.length);
}

describe('hand-computed 4-round example', () => {
  it('ipw = mean(w r) = 1.35, with se from the sample sd of w r', () => {
    const terms = w.map((wi, i) => wi * r[i]!);
    const est = ipw().estimate(data, target);
    expect(est.name).toBe('ipw');
    expect(est.value).toBeCloseTo(1.35, 12);
    expect(est.value).toBeCloseTo(mean(terms), 12);
    expect(est.se).toBeCloseTo(sampleSe(terms), 12);
    expect(est.se).toBeCloseTo(Math.sqrt(17.87 / 3 / 4), 12);
    expect(est.ci[0]).toBeCloseTo(1.35 - Z95 * est.se, 10);
    expect(est.ci[1]).toBeCloseTo(1.35 + Z95 * est.se, 10);
    expect(est.confidence).toBe(0.95);
    expect(est.n).toBe(4);
  });

  it('ipw with clip = 2 uses min(w, 2): (0.4 + 2) / 4 = 0.6 and reports the clipped share', () => {
    const est = ipw({ clip: 2 }).estimate(data, target);
    expect(est.value).toBeCloseTo(mean(w.map((wi, i) => Math.min(wi, 2) * r[i]!)), 12);
    expect(est.value).toBeCloseTo(0.6, 12);
    expect(est.diagnostics?.['clipped_share']).toBe(0.5);
  });

  it('snipw = sum(w r) / sum(w) = 5.4 / 9.225, se by the delta method', () => {
    const v = sum(w.map((wi, i) => wi * r[i]!)) / sum(w);
    const est = snipw().estimate(data, target);
    expect(est.value).toBeCloseTo(5.4 / 9.225, 12);
    expect(est.value).toBeCloseTo(v, 12);
    const wbar = mean(w);
    const psi = w.map((wi, i) => (wi * (r[i]! - v)) / wbar);
    expect(est.se).toBeCloseTo(Math.sqrt(sum(psi.map((p) => p * p)) / 3 / 4), 12);
    expect(est.diagnostics?.['mean_weight']).toBeCloseTo(9.225 / 4, 12);
  });

  it('dm = mean_i sum_a pi_e q_hat = 1.785 / 4', () => {
    const est = dm().estimate(data, target, qhat);
    expect(est.value).toBeCloseTo(1.785 / 4, 12);
    expect(est.se).toBeCloseTo(sampleSe(dmRound), 12);
  });

  it('dr = mean(dm_i + w_i (r_i - q_hat_i)) = (1.785 + 0.77) / 4', () => {
    const terms = dmRound.map((d, i) => d + w[i]! * resid[i]!);
    const est = dr().estimate(data, target, qhat);
    expect(est.value).toBeCloseTo(2.555 / 4, 12);
    expect(est.value).toBeCloseTo(mean(terms), 12);
    expect(est.se).toBeCloseTo(sampleSe(terms), 12);
  });

  it('dr with clip = 1 clips the weights of the correction only', () => {
    const terms = dmRound.map((d, i) => d + Math.min(w[i]!, 1) * resid[i]!);
    expect(dr({ clip: 1 }).estimate(data, target, qhat).value).toBeCloseTo(mean(terms), 12);
  });

  it('sndr = mean(dm_i) + sum(w e) / sum(w), se by the delta method', () => {
    const c = sum(w.map((wi, i) => wi * resid[i]!)) / sum(w);
    const v = mean(dmRound) + c;
    const est = sndr().estimate(data, target, qhat);
    expect(est.value).toBeCloseTo(1.785 / 4 + 0.77 / 9.225, 12);
    expect(est.value).toBeCloseTo(v, 12);
    const wbar = mean(w);
    const psi = dmRound.map((d, i) => d - mean(dmRound) + (w[i]! * (resid[i]! - c)) / wbar);
    expect(est.se).toBeCloseTo(Math.sqrt(sum(psi.map((p) => p * p)) / 3 / 4), 12);
  });

  it('switch-dr with tau = 4 drops the correction of round 2 (w = 5): (1.785 - 0.73) / 4', () => {
    const terms = dmRound.map((d, i) => d + (w[i]! <= 4 ? w[i]! * resid[i]! : 0));
    const est = switchDr({ tau: 4 }).estimate(data, target, qhat);
    expect(est.name).toBe('switch-dr');
    expect(est.value).toBeCloseTo(1.055 / 4, 12);
    expect(est.value).toBeCloseTo(mean(terms), 12);
    expect(est.diagnostics?.['switched_share']).toBe(0.25);
  });

  it('dr-os with lambda = 4 shrinks w to 4 w / (w^2 + 4)', () => {
    const terms = dmRound.map((d, i) => d + ((4 * w[i]!) / (w[i]! ** 2 + 4)) * resid[i]!);
    const est = drOs({ lambda: 4 }).estimate(data, target, qhat);
    expect(est.name).toBe('dr-os');
    expect(est.value).toBeCloseTo(mean(terms), 12);
    // 0.4 -> 1.6/4.16, 3.2 -> 12.8/14.24, 5 -> 20/29, 0.625 -> 2.5/4.390625
    const manual = (1.785 + (1.6 / 4.16) * 0.4 - (12.8 / 14.24) * 0.2 + (20 / 29) * 0.3 - (2.5 / 4.390625) * 0.4) / 4;
    expect(est.value).toBeCloseTo(manual, 12);
  });

  it('a 90% interval is narrower, with z = 1.6448536', () => {
    const est = ipw().estimate(data, target, undefined, { confidence: 0.9 });
    expect(est.ci[1] - est.value).toBeCloseTo(1.6448536269514722 * est.se, 10);
  });

  it('roundTerms expose the per-round contributions', () => {
    const t = dr().roundTerms(data, target, qhat);
    expect(Array.from(t.additive ?? [])).toEqual(dmRound.map((d, i) => expect.closeTo(d + w[i]! * resid[i]!, 12)));
    const s = snipw().roundTerms(data, target);
    expect(s.additive).toBeUndefined();
    expect(Array.from(s.ratio?.denominator ?? [])).toEqual(w.map((x) => expect.closeTo(x, 12)));
  });
});

describe('limits of the hyper-parameters', () => {
  const value = (est: Estimator): number => est.estimate(data, target, qhat).value;
  it('switch-dr: tau = Infinity is dr, tau = 0 is dm', () => {
    expect(value(switchDr({ tau: Number.POSITIVE_INFINITY }))).toBeCloseTo(value(dr()), 14);
    expect(value(switchDr({ tau: 0 }))).toBeCloseTo(value(dm()), 14);
  });
  it('dr-os: lambda = Infinity is dr, lambda = 0 is dm', () => {
    expect(value(drOs({ lambda: Number.POSITIVE_INFINITY }))).toBeCloseTo(value(dr()), 14);
    expect(value(drOs({ lambda: 0 }))).toBeCloseTo(value(dm()), 14);
  });
  it('ipw and dr: clip = Infinity is no clipping', () => {
    expect(ipw({ clip: Number.POSITIVE_INFINITY }).estimate(data, target).value).toBeCloseTo(1.35, 14);
    expect(value(dr({ clip: Number.POSITIVE_INFINITY }))).toBeCloseTo(2.555 / 4, 14);
  });
  it('standardEstimators lists the seven metric names in order', () => {
    expect(standardEstimators().map((e) => e.name)).toEqual(['ipw', 'snipw', 'dm', 'dr', 'sndr', 'switch-dr', 'dr-os']);
    expect(standardEstimators({ tau: 3, lambda: 7, clip: 20 }).map((e) => e.params)).toEqual([
      { clip: 20 },
      {},
      {},
      { clip: 20 },
      {},
      { tau: 3 },
      { lambda: 7 },
    ]);
  });
});

describe('edge cases', () => {
  it('a target with no mass on any logged action: ipw = 0, snipw and sndr undefined (NaN)', () => {
    const t: TargetPolicy = { probs: Float64Array.from([0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0.5, 0.5]) };
    expect(ipw().estimate(data, t).value).toBe(0);
    const s = snipw().estimate(data, t);
    expect(s.value).toBeNaN();
    expect(s.se).toBeNaN();
    expect(s.ci[0]).toBeNaN();
    expect(sndr().estimate(data, t, qhat).value).toBeNaN();
  });
  it('one round: value defined, se NaN', () => {
    const one: LoggedBandit = {
      n: 1,
      nActions: 2,
      action: Int32Array.from([1]),
      reward: Float64Array.from([1]),
      pscore: Float64Array.from([0.5]),
    };
    const est = ipw().estimate(one, { probs: Float64Array.from([0.5, 0.5]) });
    expect(est.value).toBe(1);
    expect(est.se).toBeNaN();
  });
});

describe('bad input throws RangeError with a clear message', () => {
  const copy = (patch: Partial<LoggedBandit>): LoggedBandit => ({ ...data, ...patch });
  it('propensity outside (0, 1]', () => {
    expect(() => ipw().estimate(copy({ pscore: Float64Array.from([0.5, 0, 0.2, 0.8]) }), target)).toThrow(
      new RangeError('ipw: pscore[1] = 0 is outside (0, 1]'),
    );
    expect(() => ipw().estimate(copy({ pscore: Float64Array.from([0.5, 0.25, 1.5, 0.8]) }), target)).toThrow(
      /pscore\[2\] = 1.5 is outside \(0, 1\]/,
    );
    expect(() => ipw().estimate(copy({ pscore: Float64Array.from([0.5, 0.25, Number.NaN, 0.8]) }), target)).toThrow(
      RangeError,
    );
  });
  it('a reward beyond 1e100 in magnitude, whose weighted sums overflow', () => {
    expect(() => ipw().estimate(copy({ reward: Float64Array.from([0, 1e308, 0, 1]) }), target)).toThrow(
      new RangeError('ipw: reward[1] = 1e+308 is larger in magnitude than 1e+100, beyond which the weighted sums overflow; rescale the rewards (e.g. to seconds or thousands)'),
    );
    expect(() => ipw().estimate(copy({ reward: Float64Array.from([0, -1e100, 0, 1]) }), target)).not.toThrow();
  });
  it('target rows not summing to 1 within 1e-6', () => {
    const bad = Float64Array.from(target.probs);
    bad[4] = 0.8 + 2e-6;
    expect(() => snipw().estimate(data, { probs: bad })).toThrow(/target.probs row 1 sums to 1.000002/);
    const ok = Float64Array.from(target.probs);
    ok[4] = 0.8 + 5e-7;
    expect(() => snipw().estimate(data, { probs: ok })).not.toThrow();
    const negative = Float64Array.from(target.probs);
    negative[0] = -0.1;
    negative[1] = 0.8;
    expect(() => snipw().estimate(data, { probs: negative })).toThrow(/target.probs\[0\]\[0\] = -0.1 is outside \[0, 1\]/);

    // every entry of a row of K = 3 (the first and second of a pair, and the odd last one), each bad value; the entry
    // named is the bad one
    for (let a = 0; a < 3; a++) {
      for (const v of [-0.5, 1.5, Number.NaN]) {
        const p = Float64Array.from(target.probs);
        p[3 + a] = v;
        expect(() => snipw().estimate(data, { probs: p })).toThrow(new RangeError(`snipw: target.probs[1][${a}] = ${v} is outside [0, 1]`));
      }
    }
  });
  it('a reward model entry that is not finite, wherever it is', () => {
    for (let j = 0; j < 12; j++) {
      for (const v of [Number.NaN, Infinity, -Infinity]) {
        const q = new Float64Array(12).fill(0.5);
        q[j] = v;
        expect(() => dr().estimate(data, target, q)).toThrow(
          new RangeError(`dr: rewardModel[${Math.floor(j / 3)}][${j % 3}] = ${v} is not a finite number`),
        );
      }
    }
    expect(() => dr().estimate(data, target, new Float64Array(12).fill(-1e300))).not.toThrow();
  });
  it('length mismatches', () => {
    expect(() => ipw().estimate(copy({ reward: Float64Array.from([1, 0, 1]) }), target)).toThrow(
      new RangeError('ipw: reward has length 3, expected 4 (one per round)'),
    );
    expect(() => ipw().estimate(data, { probs: new Float64Array(11) })).toThrow(/target.probs has length 11, expected 12/);
    expect(() => dr().estimate(data, target, new Float64Array(8))).toThrow(/rewardModel has length 8, expected 12/);
    expect(() => ipw().estimate(copy({ context: new Float64Array(7), dim: 2 }), target)).toThrow(/context has length 7/);
  });
  it('actions out of range, non-finite rewards, missing reward model, bad options', () => {
    expect(() => ipw().estimate(copy({ action: Int32Array.from([0, 3, 2, 0]) }), target)).toThrow(
      /action\[1\] = 3 is outside 0..2/,
    );
    expect(() => ipw().estimate(copy({ reward: Float64Array.from([1, Number.NaN, 1, 0]) }), target)).toThrow(
      /reward\[1\] = NaN/,
    );
    expect(() => dm().estimate(data, target)).toThrow(/dm: needs a reward model/);
    expect(() => ipw().estimate(data, target, undefined, { confidence: 1 })).toThrow(/confidence must be in \(0, 1\)/);
    expect(() => ipw({ clip: -1 })).toThrow(/clip must be >= 0/);
    expect(() => switchDr({ tau: Number.NaN })).toThrow(/tau must be >= 0/);
    expect(() => drOs({ lambda: -2 })).toThrow(/lambda must be >= 0/);
    expect(() => ipw().estimate(copy({ n: 0 }), target)).toThrow(/n must be an integer >= 1/);
  });
});

describe('roundQuantities (the fused pass of SharedTerms)', () => {
  it('gives importanceWeights, directMethodTerms and factualResiduals bit for bit, with and without rowOf', () => {
    const rng = createRng(77);
    const n = 500, K = 7;
    const action = Int32Array.from({ length: n }, () => Math.floor(rng.next() * K));
    const d: LoggedBandit = {
      n,
      nActions: K,
      action,
      reward: Float64Array.from({ length: n }, () => rng.normal()),
      pscore: Float64Array.from({ length: n }, () => 0.05 + 0.9 * rng.next()),
    };
    const q = Float64Array.from({ length: n * K }, () => rng.normal());
    const row = (m: number) => {
      const p = Float64Array.from({ length: m * K }, () => rng.next());
      for (let i = 0; i < m; i++) {
        let s = 0;
        for (let a = 0; a < K; a++) s += p[i * K + a]!;
        for (let a = 0; a < K; a++) p[i * K + a] = p[i * K + a]! / s;
      }
      return p;
    };
    const targets: TargetPolicy[] = [{ probs: row(n) }, { probs: row(3), rowOf: Int32Array.from({ length: n }, (_, i) => i % 3) }];
    for (const t of targets) {
      const fused = roundQuantities(d, t, q);
      expect(Array.from(fused.w)).toEqual(Array.from(importanceWeights(d, t)));
      expect(Array.from(fused.dm)).toEqual(Array.from(directMethodTerms(d, t, q)));
      expect(Array.from(fused.resid)).toEqual(Array.from(factualResiduals(d, q)));
      // and SharedTerms hands out those arrays whichever it is asked for first
      const a = new SharedTerms(d, t, q), b = new SharedTerms(d, t, q);
      expect(Array.from(a.weights())).toEqual(Array.from(fused.w));
      expect(Array.from(b.residuals())).toEqual(Array.from(fused.resid));
      expect(Array.from(b.weights())).toEqual(Array.from(fused.w));
      expect(Array.from(b.directMethod())).toEqual(Array.from(fused.dm));
    }
  });

  it('termsValue is summarizeTerms(...).value bit for bit, for every standard estimator', () => {
    const shared = new SharedTerms(data, target, qhat);
    for (const e of standardEstimators()) {
      const terms = roundTermsShared(e, shared);
      expect(termsValue(terms)).toBe(summarizeTerms(terms).value);
    }
  });
});
