/**
 * Overlap diagnostics of logged data against a target policy, over the importance weights
 * w_i = pi_e(a_i | x_i) / pi_b(a_i | x_i). Pure data; a later step turns them into verdicts.
 *
 * - effectiveSampleSize: (sum w)^2 / sum w^2 (src/stats/ess.ts; Kish 1965, Kong 1992). Equals n
 *   when all weights are equal; a small ratio ESS / n means a few rounds carry the estimate.
 * - maxWeight and maxWeightShare = max w / sum w: how much the single heaviest round weighs.
 * - minPropensity: the smallest logged propensity (a weight can reach 1 / minPropensity).
 * - meanWeight: mean of w. Its expectation is 1 when the propensities are right and pi_e has no mass outside pi_b's
 *   support (E[w] = sum_a pi_e(a|x) over the support of pi_b), so a mean far from 1 flags wrong propensities or
 *   missing support.
 * - supportDeficiency: (1/n) sum_i sum_{a not in L} pi_e(a | x_i), with L the set of actions that appear anywhere in
 *   the log: the average target mass on actions the log never shows, which no estimator can learn about from data
 *   (only a reward model's extrapolation can). It is a lower bound on the true deficiency, which is per context.
 */
import { effectiveSampleSize } from '../../stats/ess.js';
import { importanceWeights } from './terms.js';
import type { LoggedBandit, TargetPolicy } from './types.js';
import { validateLoggedBandit, validateTarget } from './validate.js';

export interface WeightDiagnostics {
  n: number;
  effectiveSampleSize: number;
  /** effectiveSampleSize / n, in [0, 1]. */
  essRatio: number;
  maxWeight: number;
  /** max w / sum w (NaN when all weights are 0). */
  maxWeightShare: number;
  minPropensity: number;
  meanWeight: number;
  supportDeficiency: number;
  /** Actions that never appear in the log. */
  unloggedActions: number[];
}

export function weightDiagnostics(data: LoggedBandit, target: TargetPolicy): WeightDiagnostics {
  const fn = 'weightDiagnostics';
  validateLoggedBandit(fn, data);
  validateTarget(fn, data, target);
  const { n, nActions: K } = data;
  const w = importanceWeights(data, target);
  let sum = 0;
  let max = 0;
  let minP = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    sum += wi;
    if (wi > max) max = wi;
    const p = data.pscore[i]!;
    if (p < minP) minP = p;
  }
  const seen = new Uint8Array(K);
  for (let i = 0; i < n; i++) seen[data.action[i]!] = 1;
  const unlogged: number[] = [];
  for (let a = 0; a < K; a++) if (seen[a] === 0) unlogged.push(a);
  let deficiency = 0;
  if (unlogged.length > 0) {
    const rowOf = target.rowOf;
    for (let i = 0; i < n; i++) {
      const o = (rowOf === undefined ? i : rowOf[i]!) * K;
      for (const a of unlogged) deficiency += target.probs[o + a]!;
    }
    deficiency /= n;
  }
  const ess = effectiveSampleSize(w);
  return {
    n,
    effectiveSampleSize: ess,
    essRatio: ess / n,
    maxWeight: max,
    maxWeightShare: sum > 0 ? max / sum : Number.NaN,
    minPropensity: minP,
    meanWeight: sum / n,
    supportDeficiency: deficiency,
    unloggedActions: unlogged,
  };
}
