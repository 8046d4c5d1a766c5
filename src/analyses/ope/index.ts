/**
 * Off-policy evaluation, the pure estimator layer: estimators over columnar logged bandit data, a cross-fitted reward
 * model, overlap diagnostics and a shared bootstrap. No I/O.
 */
export type {
  Estimate,
  EstimateOptions,
  Estimator,
  LoggedBandit,
  RewardPredictions,
  RoundTerms,
  TargetPolicy,
} from './types.js';
export * from './estimators/index.js';
export { SharedTerms, summarizeTerms, type TermsSummary } from './terms.js';
export { weightDiagnostics, type WeightDiagnostics } from './diagnostics.js';
export {
  assignFolds,
  fitRewardModel,
  fitRewardRegression,
  predictReward,
  rewardLinearPredictor,
  type RewardModelFit,
  type RewardModelKind,
  type RewardModelOptions,
  type RewardRegression,
  type RewardRegressionOptions,
} from './reward-model.js';
export {
  bootstrapEstimates,
  bootstrapRoundTerms,
  resampleColumnSums,
  DEFAULT_RESAMPLES,
  type BootstrapEstimate,
  type BootstrapOptions,
  type BootstrapResult,
  type ResampleOptions,
  type ResampleReport,
} from './bootstrap.js';
export { PROB_SUM_TOLERANCE } from './validate.js';
