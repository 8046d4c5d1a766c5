/**
 * Self-normalised doubly robust (SNDR): the DR correction term normalised by the mean importance weight, as in Open
 * Bandit Pipeline's `SelfNormalizedDoublyRobust` (after Dudik et al. 2014 and Kallus & Uehara 2019, "Intrinsically
 * efficient, stable, and bounded off-policy evaluation for reinforcement learning"):
 *
 *     V_SNDR = (1/n) sum_i q_hat(x_i, pi_e) + sum_i w_i (r_i - q_hat(x_i, a_i)) / sum_i w_i
 *
 * Round terms: additive q_hat(x_i, pi_e) plus the ratio of w_i (r_i - q_hat(x_i, a_i)) over w_i.
 */
import type { Estimator } from '../types.js';
import { defineEstimator, ESTIMATOR_NAMES } from './define.js';

export function sndr(): Estimator {
  return defineEstimator({
    name: ESTIMATOR_NAMES.sndr,
    params: {},
    requiresRewardModel: true,
    terms(shared) {
      const data = shared.data;
      const w = shared.weights();
      const e = shared.residuals();
      const num = new Float64Array(data.n);
      let sw = 0;
      for (let i = 0; i < data.n; i++) {
        num[i] = w[i]! * e[i]!;
        sw += w[i]!;
      }
      return {
        n: data.n,
        additive: shared.directMethod(),
        ratio: { numerator: num, denominator: w },
        diagnostics: { mean_weight: sw / data.n },
      };
    },
  });
}
