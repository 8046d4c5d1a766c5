/**
 * Off-policy evaluation, the pure estimator layer: estimators over columnar logged bandit data, a cross-fitted reward
 * model, overlap diagnostics and a shared bootstrap. No I/O.
 */
export type {
  Estimate,
  EstimateOptions,
  Estimator,
  LoggedBandit,
  LoggedSlates,
  RewardModel,
  RewardModelTerms,
  RewardPredictions,
  RoundTerms,
  SlateEstimator,
  SlateTargetPolicy,
  TargetPolicy,
} from './types.js';
export * from './estimators/index.js';
export { SharedTerms, summarizeTerms, type TermsSummary } from './terms.js';
export { weightDiagnostics, type WeightDiagnostics } from './diagnostics.js';
export {
  assignFolds,
  contextClasses,
  crossFittedTerms,
  fitRewardModel,
  fitRewardModelTerms,
  fitRewardRegression,
  MAX_MODEL_EVALUATIONS,
  MAX_PREDICTION_CELLS,
  RewardModelTooLarge,
  type CrossFittedRewardModel,
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
export { MAX_DENSE_CELLS, PROB_SUM_TOLERANCE } from './validate.js';

// The analysis over the store: `ope(db, options) -> Result`.
export {
  ope,
  opeOnRounds,
  opeRoundScope,
  checkOpeOptions,
  estimateExamination,
  predictionColumnValues,
  OPE_ESTIMATORS,
  SLATE_ESTIMATORS,
  type OpeOptions,
  type OpeEstimatorName,
  type RewardModelChoice,
  type SlateOptions,
} from './analyze.js';
export { DEFAULT_OPE_THRESHOLDS, type OpeThresholds } from './verdicts.js';
export { parseTargetCsv, targetTableFromRecords, type TargetTable, type ProbabilityRecord, type RoundKey } from './target-table.js';
export { slateMarginals, targetName, targetPolicy, targetProbabilities, type RoundView, type TargetFunction, type TargetSpec } from './targets.js';
export { cellSumsByVersion, loggedRounds, loggedRoundsByVersion, type RewardMode, type RoundScope } from './query.js';
export { estimateFromSums, type CellSums, type SumsEstimate } from './sums.js';
export { opeBatch } from './batch.js';
export { buildRounds, type LoggedRounds } from './rounds.js';
