/**
 * Doubly robust (DR): Dudik, Langford & Li (2011), "Doubly robust policy evaluation and learning". As in Open Bandit
 * Pipeline's `DoublyRobust` (with its optional weight clipping `lambda_`, here `clip`):
 *
 *     V_DR = (1/n) sum_i [ q_hat(x_i, pi_e) + min(w_i, clip) (r_i - q_hat(x_i, a_i)) ]
 *
 * Unbiased if the propensities are right (clip = Infinity, the default), whatever q_hat; low variance when q_hat is
 * good. Round term: the bracket.
 */
import type { Estimator } from '../types.js';
import { validateNonNegative } from '../validate.js';
import { weightedCorrection } from '../terms.js';
import { defineEstimator, ESTIMATOR_NAMES } from './define.js';

export interface DrOptions {
  /** Largest importance weight used in the correction term. Default Infinity (no clipping). */
  clip?: number;
}

export function dr(options: DrOptions = {}): Estimator {
  const clip = options.clip ?? Number.POSITIVE_INFINITY;
  validateNonNegative('dr', 'clip', clip);
  return defineEstimator({
    name: ESTIMATOR_NAMES.dr,
    params: { clip },
    requiresRewardModel: true,
    terms(shared) {
      const { additive, changed } = weightedCorrection(shared, (w) => Math.min(w, clip));
      return { n: additive.length, additive, diagnostics: { clipped_share: changed / additive.length } };
    },
  });
}
