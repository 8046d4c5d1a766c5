/**
 * Turns a per-round formula into an `Estimator`: validation, `roundTerms` and the normal-approximation `estimate`
 * are the same for every estimator, so each estimator file only states its formula.
 */
import { estimateFromTerms, SharedTerms } from '../terms.js';
import type { Estimate, EstimateOptions, Estimator, LoggedBandit, RewardModel, RoundTerms, TargetPolicy } from '../types.js';
import { validateConfidence, validateLoggedBandit, validateRewardModel, validateTarget } from '../validate.js';

/** The metric names users see; stable (users' CI scripts read them). */
export const ESTIMATOR_NAMES = {
  ipw: 'ipw',
  snipw: 'snipw',
  dm: 'dm',
  dr: 'dr',
  sndr: 'sndr',
  switchDr: 'switch-dr',
  drOs: 'dr-os',
} as const;

export const DEFAULT_CONFIDENCE = 0.95;

/** What an estimator file states: its name, hyper-parameters and per-round formula. */
export interface EstimatorSpec {
  name: string;
  params: Record<string, number>;
  /** If true, `terms` may call `shared.directMethod()` / `shared.residuals()`. */
  requiresRewardModel: boolean;
  /** Per-round terms from the shared quantities; must not modify the shared arrays. */
  terms(shared: SharedTerms): RoundTerms;
}

const SPECS = new WeakMap<Estimator, EstimatorSpec>();

function missingModel(name: string): RangeError {
  return new RangeError(
    `${name}: needs a reward model, an n x K array of q_hat(x_i, a) or its per-round terms (crossFittedTerms, fitRewardModelTerms)`,
  );
}

export function defineEstimator(spec: EstimatorSpec): Estimator {
  const { name } = spec;
  const roundTerms = (data: LoggedBandit, target: TargetPolicy, rewardModel?: RewardModel): RoundTerms => {
    validateLoggedBandit(name, data);
    validateTarget(name, data, target);
    if (spec.requiresRewardModel) {
      if (rewardModel === undefined) throw missingModel(name);
      validateRewardModel(name, data, rewardModel);
    }
    return spec.terms(new SharedTerms(data, target, spec.requiresRewardModel ? rewardModel : undefined));
  };
  const estimator: Estimator = Object.freeze({
    name,
    params: Object.freeze({ ...spec.params }),
    requiresRewardModel: spec.requiresRewardModel,
    roundTerms,
    estimate(data: LoggedBandit, target: TargetPolicy, rewardModel?: RewardModel, options?: EstimateOptions): Estimate {
      const confidence = options?.confidence ?? DEFAULT_CONFIDENCE;
      validateConfidence(name, confidence);
      return estimateFromTerms(name, roundTerms(data, target, rewardModel), confidence);
    },
  });
  SPECS.set(estimator, spec);
  return estimator;
}

/**
 * Round terms of several estimators over already validated inputs, sharing w_i, q_hat(x_i, pi_e) and residuals
 * between them (estimators not built by `defineEstimator` fall back to their own `roundTerms`).
 */
export function roundTermsShared(estimator: Estimator, shared: SharedTerms): RoundTerms {
  const spec = SPECS.get(estimator);
  if (spec === undefined) return estimator.roundTerms(shared.data, shared.target, shared.rewardModel);
  if (spec.requiresRewardModel && shared.rewardModel === undefined) throw missingModel(spec.name);
  return spec.terms(shared);
}
