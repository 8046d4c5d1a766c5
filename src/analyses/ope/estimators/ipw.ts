/**
 * Inverse propensity weighting (IPW, Horvitz-Thompson for bandits): Precup, Sutton & Singh (2000), "Eligibility traces
 * for off-policy policy evaluation"; Strehl, Langford, Li & Kakade (2010), "Learning from logged implicit exploration
 * data". As in Open Bandit Pipeline's `InverseProbabilityWeighting` (Saito et al. 2021):
 *
 *     V_IPW = (1/n) sum_i min(w_i, clip) r_i,     w_i = pi_e(a_i | x_i) / pi_b(a_i | x_i)
 *
 * Unbiased when the propensities are right and clip = Infinity (the default); a finite clip trades bias (downwards
 * for non-negative rewards) for variance. Round term: min(w_i, clip) r_i.
 */
import type { Estimator } from '../types.js';
import { validateNonNegative } from '../validate.js';
import { defineEstimator, ESTIMATOR_NAMES } from './define.js';

export interface IpwOptions {
  /** Largest importance weight used; larger weights are clipped to it. Default Infinity (no clipping). */
  clip?: number;
}

export function ipw(options: IpwOptions = {}): Estimator {
  const clip = options.clip ?? Number.POSITIVE_INFINITY;
  validateNonNegative('ipw', 'clip', clip);
  return defineEstimator({
    name: ESTIMATOR_NAMES.ipw,
    params: { clip },
    requiresRewardModel: false,
    terms(shared) {
      const data = shared.data;
      const w = shared.weights();
      const out = new Float64Array(data.n);
      let clipped = 0;
      for (let i = 0; i < data.n; i++) {
        let wi = w[i]!;
        if (wi > clip) {
          wi = clip;
          clipped++;
        }
        out[i] = wi * data.reward[i]!;
      }
      return { n: data.n, additive: out, diagnostics: { clipped_share: clipped / data.n } };
    },
  });
}
