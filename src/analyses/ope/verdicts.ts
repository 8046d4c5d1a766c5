/**
 * The checks that decide whether an off-policy estimate can be trusted. Each verdict says in one sentence what it
 * means and what to do; thresholds have defaults that options (CLI --config, API `thresholds`) override.
 *
 * The weight checks concern the estimators that weight rounds by w_i = pi_e(a_i | x_i) / pi_b(a_i | x_i) (ipw, snipw,
 * dr, sndr, switch-dr, dr-os; dm uses no weights, so it is the one number that does not depend on them, but it
 * is only as good as the reward model).
 */
import type { Verdict } from '../result.js';

export interface OpeThresholds {
  /** Fail when the effective sample size (sum w)^2 / sum w^2 is below this many rounds. */
  ess_min: number;
  /** Warn when ESS / n is below this share. */
  ess_ratio_min: number;
  /** Fail when the largest weight is more than this share of the sum of weights. */
  max_weight_share_max: number;
  /** Warn when a logged propensity is below this. */
  min_propensity: number;
  /** Warn when the mean importance weight is further than this from 1 (and its interval excludes 1). */
  mean_weight_tolerance: number;
  /** Fail when more than this share of the target's probability is on (action, position) pairs never logged; warn above 0. */
  support_deficiency_max: number;
  /** Two-sided level of every interval. */
  confidence: number;
}

export const DEFAULT_OPE_THRESHOLDS: OpeThresholds = {
  ess_min: 100,
  ess_ratio_min: 0.01,
  max_weight_share_max: 0.1,
  min_propensity: 1e-4,
  mean_weight_tolerance: 0.1,
  support_deficiency_max: 0.05,
  confidence: 0.95,
};

export interface TargetDiagnostics {
  target: string;
  n: number;
  ess: number;
  essRatio: number;
  maxWeight: number;
  maxWeightShare: number;
  /** Round (decision index; unknown to estimates from sums) and request id of the heaviest row. */
  maxWeightRound?: number;
  maxWeightRequest: string;
  minPropensity: number;
  minPropensityRound?: number;
  minPropensityRequest: string;
  meanWeight: number;
  meanWeightCi: [number, number];
  supportDeficiency: number;
  /** The estimators of this run whose weights are unbounded (ipw and dr without --clip, snipw, sndr). */
  weighted: string[];
  /** Those that bound the weights and lean on the reward model instead (switch-dr, dr-os, clipped ipw / dr). */
  bounded: string[];
}

const fmt = (x: number): string => {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(2);
  return Number.isInteger(x) ? String(x) : (+x.toPrecision(3)).toString();
};
/** Where a row is: its round when known, and its request. */
const where = (round: number | undefined, request: string): string => `${round === undefined ? '' : `round ${round}, `}request ${request}`;
const pct = (x: number): string => `${+(100 * x).toPrecision(x < 0.01 ? 2 : 3)}%`;

export function diagnosticVerdicts(d: TargetDiagnostics, t: OpeThresholds): Verdict[] {
  const group = { target: d.target };
  const est = d.weighted.length ? d.weighted.join(', ') : 'weighting';
  const lean = d.bounded.length ? ` (${d.bounded.join(' and ')} bound the weights and lean on the reward model instead)` : '';
  const out: Verdict[] = [];

  if (d.ess < t.ess_min) {
    out.push({
      check: 'effective_sample_size', status: 'fail', value: d.ess, threshold: t.ess_min, group,
      message: `Only about ${fmt(d.ess)} of the ${d.n} rounds carry the estimate of '${d.target}' (effective sample size below ${t.ess_min}), so its ${est} estimates are not to be trusted${lean}; log with more exploration or evaluate a target closer to the logging policy.`,
    });
  } else if (d.essRatio < t.ess_ratio_min) {
    out.push({
      check: 'effective_sample_size', status: 'warn', value: d.ess, threshold: t.ess_min, group,
      message: `The effective sample size for '${d.target}' is ${fmt(d.ess)}, ${pct(d.essRatio)} of the ${d.n} rounds, so the estimate is much noisier than the row count suggests; read its intervals, not its point value.`,
    });
  } else {
    out.push({
      check: 'effective_sample_size', status: 'ok', value: d.ess, threshold: t.ess_min, group,
      message: `The effective sample size for '${d.target}' is ${fmt(d.ess)} (${pct(d.essRatio)} of ${d.n} rounds), enough for the weighting estimators to average over many rounds.`,
    });
  }

  if (!Number.isFinite(d.maxWeightShare)) {
    out.push({
      check: 'max_weight_share', status: 'fail', value: null, threshold: t.max_weight_share_max, group,
      message: `Target '${d.target}' gives probability 0 to every logged action, so the logs say nothing about it and its weighting estimates are undefined; evaluate it on logs that contain its actions.`,
    });
  } else if (d.maxWeightShare > t.max_weight_share_max) {
    out.push({
      check: 'max_weight_share', status: 'fail', value: d.maxWeightShare, threshold: t.max_weight_share_max, group,
      message: `One round (${where(d.maxWeightRound, d.maxWeightRequest)}) carries ${pct(d.maxWeightShare)} of the total importance weight (weight ${fmt(d.maxWeight)}) for '${d.target}', so its ${est} estimates mostly repeat that one row and are not to be trusted${lean}; check that round's logged propensity, or cap weights with --clip and accept the bias.`,
    });
  } else {
    out.push({
      check: 'max_weight_share', status: 'ok', value: d.maxWeightShare, threshold: t.max_weight_share_max, group,
      message: `No single round dominates the estimate of '${d.target}': the largest weight (${fmt(d.maxWeight)}) is ${pct(d.maxWeightShare)} of the total.`,
    });
  }

  if (d.minPropensity < t.min_propensity) {
    out.push({
      check: 'min_propensity', status: 'warn', value: d.minPropensity, threshold: t.min_propensity, group,
      message: `The smallest logged propensity is ${fmt(d.minPropensity)} (${where(d.minPropensityRound, d.minPropensityRequest)}); propensities this small are often logging floors or bugs and make weights of up to ${fmt(1 / d.minPropensity)}, so check how they are logged.`,
    });
  } else {
    out.push({
      check: 'min_propensity', status: 'ok', value: d.minPropensity, threshold: t.min_propensity, group,
      message: `The smallest logged propensity is ${fmt(d.minPropensity)}, so no weight exceeds ${fmt(1 / d.minPropensity)} times the target probability.`,
    });
  }

  const dev = Math.abs(d.meanWeight - 1);
  const [lo, hi] = d.meanWeightCi;
  const coversOne = lo <= 1 && hi >= 1;
  if (dev <= t.mean_weight_tolerance) {
    out.push({
      check: 'mean_weight', status: 'ok', value: d.meanWeight, threshold: t.mean_weight_tolerance, group,
      message: `The mean importance weight for '${d.target}' is ${fmt(d.meanWeight)}, close to the 1 expected when the logged propensities are right.`,
    });
  } else if (!coversOne) {
    out.push({
      check: 'mean_weight', status: 'warn', value: d.meanWeight, threshold: t.mean_weight_tolerance, group,
      message: `The mean importance weight for '${d.target}' is ${fmt(d.meanWeight)} (interval ${fmt(lo)} to ${fmt(hi)}), not the 1 expected when propensities are right and the target stays on logged actions; check the propensities and the support check before trusting ipw (snipw and sndr normalise this away).`,
    });
  } else {
    out.push({
      check: 'mean_weight', status: 'unknown', value: d.meanWeight, threshold: t.mean_weight_tolerance, group,
      message: `The mean importance weight for '${d.target}' is ${fmt(d.meanWeight)}, far from 1, but too noisy to tell (interval ${fmt(lo)} to ${fmt(hi)}) because a few large weights dominate it; see the effective sample size.`,
    });
  }

  if (d.supportDeficiency > t.support_deficiency_max) {
    out.push({
      check: 'support_deficiency', status: 'fail', value: d.supportDeficiency, threshold: t.support_deficiency_max, group,
      message: `${pct(d.supportDeficiency)} of the probability of '${d.target}' falls on (action, position) pairs the logs never show, which no estimator can learn from the data (ipw-type estimates leave it out, dm-type ones guess it from the reward model); log those actions with some exploration before trusting these numbers.`,
    });
  } else if (d.supportDeficiency > 0) {
    out.push({
      check: 'support_deficiency', status: 'warn', value: d.supportDeficiency, threshold: t.support_deficiency_max, group,
      message: `${pct(d.supportDeficiency)} of the probability of '${d.target}' falls on (action, position) pairs the logs never show; the estimates leave that part out or extrapolate it, so treat them as approximate.`,
    });
  } else {
    out.push({
      check: 'support_deficiency', status: 'ok', value: 0, threshold: t.support_deficiency_max, group,
      message: `Every (action, position) pair that '${d.target}' can choose appears in the logs.`,
    });
  }
  return out;
}

export interface Ranked {
  target: string;
  value: number;
  lift: number;
  liftCi: [number, number];
  trusted: boolean;
}

/** Whether the best target separates from the logging policy (the comparison verdict). */
export function comparisonVerdict(best: Ranked, estimator: string, onPolicy: number, confidence: number, nTargets: number): Verdict {
  const group = { target: best.target };
  const [lo, hi] = best.liftCi;
  const level = `${+(100 * confidence).toPrecision(3)}%`;
  const lead = nTargets > 1 ? `The best-ranked target '${best.target}'` : `Target '${best.target}'`;
  if (!best.trusted) {
    return {
      check: 'beats_logging', status: 'unknown', value: best.lift, group,
      message: `${lead} has estimates that failed the checks above, so whether it beats the logging policy cannot be told from these logs; fix what those checks name first.`,
    };
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    return {
      check: 'beats_logging', status: 'unknown', value: Number.isFinite(best.lift) ? best.lift : null, group,
      message: `${lead} has no interval for its difference from the logging policy, so the comparison cannot be made; see the checks above.`,
    };
  }
  if (lo > 0) {
    return {
      check: 'beats_logging', status: 'ok', value: best.lift, group,
      message: `${lead} beats the logging policy (on-policy value ${fmt(onPolicy)}) by ${fmt(best.lift)} by ${estimator}, ${level} interval ${fmt(lo)} to ${fmt(hi)}, which excludes no difference.`,
    };
  }
  if (hi < 0) {
    return {
      check: 'beats_logging', status: 'warn', value: best.lift, group,
      message: `${lead} is worse than the logging policy (on-policy value ${fmt(onPolicy)}) by ${fmt(-best.lift)} by ${estimator} (${level} interval ${fmt(lo)} to ${fmt(hi)}), so none of the evaluated targets should replace it.`,
    };
  }
  return {
    check: 'beats_logging', status: 'warn', value: best.lift, group,
    message: `${lead} cannot be told apart from the logging policy: its difference by ${estimator} is ${fmt(best.lift)} with a ${level} interval of ${fmt(lo)} to ${fmt(hi)} that includes 0; collect more logs before deciding, or run an A/B test.`,
  };
}
