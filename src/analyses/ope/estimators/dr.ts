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
      const data = shared.data;
      const w = shared.weights();
      const out = Float64Array.from(shared.directMethod());
      const e = shared.residuals();
      let clipped = 0;
      for (let i = 0; i < data.n; i++) {
        let wi = w[i]!;
        if (wi > clip) {
          wi = clip;
          clipped++;
        }
        out[i] = out[i]! + wi * e[i]!;
      }
      return { n: data.n, additive: out, diagnostics: { clipped_share: clipped / data.n } };
    },
  });
}
