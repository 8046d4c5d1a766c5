/**
 * Data shapes of the off-policy evaluation (OPE) estimator layer.
 *
 * Everything is columnar and typed: one entry per logged round (n rounds, K actions). Positions in a slate are folded
 * into the action index by the caller ("position as its own action"), so every estimator here is a plain contextual
 * bandit estimator, as in Open Bandit Pipeline (Saito et al. 2021, arXiv 2008.07146) with `len_list = 1`.
 */

/** Logged bandit feedback collected by the logging (behaviour) policy pi_b. */
export interface LoggedBandit {
  /** Number of logged rounds (>= 1). */
  n: number;
  /** Number of actions K (>= 1). */
  nActions: number;
  /** Logged action per round, in 0..K-1. */
  action: Int32Array;
  /** Observed reward per round. */
  reward: Float64Array;
  /** Logging propensity pi_b(a_i | x_i) of the logged action, in (0, 1]. */
  pscore: Float64Array;
  /** Optional row-major n x dim context features, used only by the reward model. */
  context?: Float64Array;
  /** Number of context features per round (required when `context` is given). */
  dim?: number;
}

/** The evaluation (target) policy pi_e, given as its action distribution on every logged context. */
export interface TargetPolicy {
  /**
   * Row-major n x K: probs[i*K + a] = pi_e(a | x_i). Each row sums to 1 (within 1e-6). With `rowOf`, only the
   * distinct rows: round i's distribution is row rowOf[i].
   */
  probs: Float64Array;
  /**
   * Optional, one per round: which row of `probs` holds its distribution. A target that is the same on every round
   * (uniform, a fixed item mix) is then one row with rowOf all 0, instead of n copies of it.
   */
  rowOf?: Int32Array;
}

/**
 * Estimated expected rewards q_hat(x_i, a), row-major n x K. Any column of predictions can be passed directly;
 * `fitRewardModel` builds a cross-fitted one.
 */
export type RewardPredictions = Float64Array;

/**
 * A reward model as the estimators use it, without an n x K matrix of predictions. Every estimator here needs per
 * round only two numbers of the model: q_hat(x_i, a_i), its prediction for the logged action, and
 * q_hat(x_i, pi_e) = sum_a pi_e(a | x_i) q_hat(x_i, a), its value of the target on round i's context (the clipped,
 * switched and shrunk corrections of dr, switch-dr and dr-os are functions of these and of w_i). An implementation
 * computes them streaming over the actions, so its memory is O(n) whatever K (reward-model.ts, `crossFittedTerms`).
 * `policyValue` must sum over a = 0..K-1 in that order, so that it equals the same sum over a matrix of predictions
 * bit for bit.
 */
export interface RewardModelTerms {
  readonly n: number;
  readonly nActions: number;
  /** q_hat(x_i, a_i) per round (length n). Shared: callers must not modify it. */
  factual(): Float64Array;
  /** q_hat(x_i, pi_e) per round (length n) for a validated target. */
  policyValue(target: TargetPolicy): Float64Array;
}

/** A reward model in either form: the n x K predictions, or their per-round terms. */
export type RewardModel = RewardPredictions | RewardModelTerms;

/**
 * The per-round contributions of an estimator. Its point estimate is
 *
 *     value = mean_i(additive_i) + sum_i(numerator_i) / sum_i(denominator_i)
 *
 * where either part may be absent. Plain estimators (IPW, DM, DR, ...) only have the additive part; self-normalised
 * ones (SNIPW, SNDR) keep their ratio as two sums, so that a bootstrap resample recomputes the normaliser on the
 * resampled rounds instead of reusing the full-sample one.
 */
export interface RoundTerms {
  n: number;
  additive?: Float64Array;
  ratio?: { numerator: Float64Array; denominator: Float64Array };
  /** Estimator-specific facts worth reporting (e.g. share of clipped weights), snake_case keys. */
  diagnostics?: Record<string, number>;
}

export interface EstimateOptions {
  /** Two-sided confidence level of the normal-approximation interval, in (0, 1). Default 0.95. */
  confidence?: number;
}

/** One estimate of the target policy's value V(pi_e). */
export interface Estimate {
  /** Estimator name, which is also the metric name users see (`ipw`, `snipw`, `dm`, `dr`, `sndr`, ...). */
  name: string;
  value: number;
  /** Standard error from the per-round influence terms (delta method for self-normalised estimators). */
  se: number;
  /** Normal-approximation interval value -/+ z * se. */
  ci: [number, number];
  confidence: number;
  n: number;
  diagnostics?: Record<string, number>;
}

/** The one estimator interface (in the spirit of Open Bandit Pipeline / scikit-learn estimators). */
export interface Estimator {
  readonly name: string;
  /** Hyper-parameters this instance was built with (e.g. `{ clip: 10 }`). */
  readonly params: Readonly<Record<string, number>>;
  /** Whether `rewardModel` must be given. */
  readonly requiresRewardModel: boolean;
  /** Per-round contributions, validated inputs; see `RoundTerms`. */
  roundTerms(data: LoggedBandit, target: TargetPolicy, rewardModel?: RewardModel): RoundTerms;
  estimate(data: LoggedBandit, target: TargetPolicy, rewardModel?: RewardModel, options?: EstimateOptions): Estimate;
}

/**
 * Logged slates (rankings): decisions that each showed up to L items at distinct positions, flattened row by row
 * (one row per shown item, CSR layout). Used by the slate estimators (estimators/iips.ts, estimators/pbm.ts), which
 * estimate the expected sum of rewards of a slate.
 */
export interface LoggedSlates {
  /** Number of slates (decisions), >= 1. */
  nSlates: number;
  /** Number of actions (items) K. */
  nActions: number;
  /** Number of positions L; positions are 0..L-1. */
  nPositions: number;
  /** Slate s owns rows offsets[s] .. offsets[s + 1] - 1; length nSlates + 1, offsets[0] = 0, non-decreasing. */
  offsets: Int32Array;
  /** Per row: the item shown, in 0..K-1. */
  action: Int32Array;
  /** Per row: its position, in 0..L-1 (distinct within a slate). */
  position: Int32Array;
  /** Per row: the reward of that item (e.g. a click on it). */
  reward: Float64Array;
  /** Per row: the logging policy's marginal probability pi_b(item at that position | x_s), in (0, 1]. */
  pscore: Float64Array;
  /**
   * Optional, row-major rows x L: the logging policy's marginal pi_b(item of row j at position k | x_s) for every
   * position k (so the entry at the row's own position equals pscore). Needed by the position-based model.
   */
  loggingMarginals?: Float64Array;
}

/** A target ranking policy, as marginals: row-major rows x L, marginals[j * L + k] = pi_e(item of row j at position k | x_s). */
export interface SlateTargetPolicy {
  marginals: Float64Array;
}

/** The one interface of the slate estimators (per-slate `RoundTerms`, so the shared bootstrap resamples slates). */
export interface SlateEstimator {
  readonly name: string;
  readonly params: Readonly<Record<string, number>>;
  /** Whether `data.loggingMarginals` must be given. */
  readonly requiresLoggingMarginals: boolean;
  roundTerms(data: LoggedSlates, target: SlateTargetPolicy): RoundTerms;
  estimate(data: LoggedSlates, target: SlateTargetPolicy, options?: EstimateOptions): Estimate;
}
