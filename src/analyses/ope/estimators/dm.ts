/**
 * Direct method (DM): Beygelzimer & Langford (2009), "The offset tree for learning with partial labels". As in Open
 * Bandit Pipeline's `DirectMethod`:
 *
 *     V_DM = (1/n) sum_i sum_a pi_e(a | x_i) q_hat(x_i, a)
 *
 * Exact when q_hat is the true expected reward; biased by the model's error otherwise, and its interval reflects only
 * the spread over contexts, not that bias. Round term: q_hat(x_i, pi_e).
 */
import type { Estimator } from '../types.js';
import { defineEstimator, ESTIMATOR_NAMES } from './define.js';

export function dm(): Estimator {
  return defineEstimator({
    name: ESTIMATOR_NAMES.dm,
    params: {},
    requiresRewardModel: true,
    terms(shared) {
      return { n: shared.data.n, additive: shared.directMethod() };
    },
  });
}
