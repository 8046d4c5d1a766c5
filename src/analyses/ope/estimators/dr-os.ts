/**
 * Doubly robust with optimistic shrinkage (DR-OS): Su, Dimakopoulou, Krishnamurthy & Dudik (2020), "Doubly robust
 * off-policy evaluation with shrinkage". As in Open Bandit Pipeline's `DoublyRobustWithShrinkage`:
 *
 *     w_os(lambda) = lambda w / (w^2 + lambda)
 *     V_DRos = (1/n) sum_i [ q_hat(x_i, pi_e) + w_os(w_i) (r_i - q_hat(x_i, a_i)) ]
 *
 * lambda = 0 is DM, lambda -> Infinity is DR. The shrunk weight never exceeds sqrt(lambda) / 2 and halves a weight
 * w = sqrt(lambda). Default lambda = 100 (= tau^2 of the default Switch-DR, so both start acting at weights near 10);
 * OBP's default (0) would make this metric a copy of `dm`.
 */
import type { Estimator } from '../types.js';
import { validateNonNegative } from '../validate.js';
import { weightedCorrection } from '../terms.js';
import { defineEstimator, ESTIMATOR_NAMES } from './define.js';

export const DEFAULT_SHRINKAGE_LAMBDA = 100;

export interface DrOsOptions {
  /** Shrinkage strength lambda >= 0 (Infinity allowed = DR). Default 100. */
  lambda?: number;
}

export function drOs(options: DrOsOptions = {}): Estimator {
  const lambda = options.lambda ?? DEFAULT_SHRINKAGE_LAMBDA;
  validateNonNegative('dr-os', 'lambda', lambda);
  return defineEstimator({
    name: ESTIMATOR_NAMES.drOs,
    params: { lambda },
    requiresRewardModel: true,
    terms(shared) {
      const finite = Number.isFinite(lambda);
      const shrink = (w: number) => (!finite ? w : lambda === 0 ? 0 : (lambda * w) / (w * w + lambda));
      const { additive, removed } = weightedCorrection(shared, shrink);
      return { n: additive.length, additive, diagnostics: { mean_weight_shrinkage: removed / additive.length } };
    },
  });
}
