/**
 * Self-normalised inverse propensity weighting (SNIPW): Swaminathan & Joachims (2015), "The self-normalized estimator
 * for counterfactual learning". As in Open Bandit Pipeline's `SelfNormalizedInverseProbabilityWeighting`:
 *
 *     V_SNIPW = sum_i w_i r_i / sum_i w_i
 *
 * Biased (O(1/n)) but consistent, and always inside the range of observed rewards. Round terms: ratio of
 * numerator w_i r_i and denominator w_i (kept as two sums so a bootstrap renormalises each resample).
 */
import type { Estimator } from '../types.js';
import { defineEstimator, ESTIMATOR_NAMES } from './define.js';

export function snipw(): Estimator {
  return defineEstimator({
    name: ESTIMATOR_NAMES.snipw,
    params: {},
    requiresRewardModel: false,
    terms(shared) {
      const data = shared.data;
      const w = shared.weights();
      const num = new Float64Array(data.n);
      let sw = 0;
      for (let i = 0; i < data.n; i++) {
        num[i] = w[i]! * data.reward[i]!;
        sw += w[i]!;
      }
      return { n: data.n, ratio: { numerator: num, denominator: w }, diagnostics: { mean_weight: sw / data.n } };
    },
  });
}
