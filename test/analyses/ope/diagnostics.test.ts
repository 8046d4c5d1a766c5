import { describe, expect, it } from 'vitest';
import { weightDiagnostics, type LoggedBandit } from '../../../src/analyses/ope/index.js';

describe('weightDiagnostics', () => {
  it('hand-computed example: weights 0.4, 3.2, 5, 0.625', () => {
    const data: LoggedBandit = {
      n: 4,
      nActions: 3,
      action: Int32Array.from([0, 1, 2, 0]),
      reward: Float64Array.from([1, 0, 1, 0]),
      pscore: Float64Array.from([0.5, 0.25, 0.2, 0.8]),
    };
    const probs = Float64Array.from([0.2, 0.5, 0.3, 0.1, 0.8, 0.1, 0.0, 0.0, 1.0, 0.5, 0.25, 0.25]);
    const d = weightDiagnostics(data, { probs });
    const w = [0.4, 3.2, 5, 0.625];
    const s = 9.225;
    const s2 = 0.16 + 10.24 + 25 + 0.390625;
    expect(d.n).toBe(4);
    expect(d.effectiveSampleSize).toBeCloseTo((s * s) / s2, 12);
    expect(d.essRatio).toBeCloseTo((s * s) / s2 / 4, 12);
    expect(d.maxWeight).toBeCloseTo(5, 12);
    expect(d.maxWeightShare).toBeCloseTo(5 / s, 12);
    expect(d.minPropensity).toBe(0.2);
    expect(d.meanWeight).toBeCloseTo(w.reduce((a, b) => a + b, 0) / 4, 12);
    expect(d.supportDeficiency).toBe(0);
    expect(d.unloggedActions).toEqual([]);
  });

  it('equal weights give ESS = n; support deficiency is the mean target mass on never-logged actions', () => {
    const data: LoggedBandit = {
      n: 3,
      nActions: 3,
      action: Int32Array.from([0, 1, 0]),
      reward: Float64Array.from([0, 1, 1]),
      pscore: Float64Array.from([0.5, 0.5, 0.5]),
    };
    // pi_e(logged action) = 0.5 everywhere -> all weights 1; action 2 is never logged.
    const probs = Float64Array.from([0.5, 0.2, 0.3, 0.1, 0.5, 0.4, 0.5, 0.5, 0.0]);
    const d = weightDiagnostics(data, { probs });
    expect(d.effectiveSampleSize).toBeCloseTo(3, 12);
    expect(d.essRatio).toBeCloseTo(1, 12);
    expect(d.meanWeight).toBeCloseTo(1, 12);
    expect(d.maxWeightShare).toBeCloseTo(1 / 3, 12);
    expect(d.unloggedActions).toEqual([2]);
    expect(d.supportDeficiency).toBeCloseTo((0.3 + 0.4 + 0) / 3, 12);
  });

  it('all-zero weights: ESS 0 and an undefined max-weight share', () => {
    const data: LoggedBandit = {
      n: 2,
      nActions: 2,
      action: Int32Array.from([0, 0]),
      reward: Float64Array.from([0, 1]),
      pscore: Float64Array.from([0.5, 0.5]),
    };
    const d = weightDiagnostics(data, { probs: Float64Array.from([0, 1, 0, 1]) });
    expect(d.effectiveSampleSize).toBe(0);
    expect(d.maxWeightShare).toBeNaN();
    expect(d.meanWeight).toBe(0);
    expect(d.supportDeficiency).toBe(1);
    expect(() => weightDiagnostics({ ...data, pscore: Float64Array.from([0.5, 1.01]) }, { probs: new Float64Array(4) })).toThrow(
      /weightDiagnostics: pscore\[1\] = 1.01 is outside \(0, 1\]/,
    );
  });
});
