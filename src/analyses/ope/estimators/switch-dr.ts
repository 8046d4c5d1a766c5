/**
 * Switch doubly robust (Switch-DR): Wang, Agarwal & Dudik (2017), "Optimal and adaptive off-policy evaluation in
 * contextual bandits". In Open Bandit Pipeline's form (`SwitchDoublyRobust`, threshold `lambda_`, here `tau`): keep the
 * DR correction only on rounds whose importance weight is at most tau, fall back to the model elsewhere:
 *
 *     V_SwitchDR = (1/n) sum_i [ q_hat(x_i, pi_e) + 1{w_i <= tau} w_i (r_i - q_hat(x_i, a_i)) ]
 *
 * tau = Infinity is DR, tau = 0 is DM. Biased by the model's error on the switched rounds. Default tau = 10: OBP's
 * default (Infinity) would make this metric a copy of `dr`; tune it to your weights (see `weightDiagnostics`).
 */
import type { Estimator } from '../types.js';
import { validateNonNegative } from '../validate.js';
import { weightedCorrection } from '../terms.js';
import { defineEstimator, ESTIMATOR_NAMES } from './define.js';

export const DEFAULT_SWITCH_TAU = 10;

export interface SwitchDrOptions {
  /** Importance-weight threshold above which a round uses the model only. Default 10. */
  tau?: number;
}

export function switchDr(options: SwitchDrOptions = {}): Estimator {
  const tau = options.tau ?? DEFAULT_SWITCH_TAU;
  validateNonNegative('switch-dr', 'tau', tau);
  return defineEstimator({
    name: ESTIMATOR_NAMES.switchDr,
    params: { tau },
    requiresRewardModel: true,
    terms(shared) {
      const { additive, changed } = weightedCorrection(shared, (w) => (w <= tau ? w : 0));
      return { n: additive.length, additive, diagnostics: { switched_share: changed / additive.length } };
    },
  });
}
