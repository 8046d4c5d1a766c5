/**
 * Priors for cold-start arms and the warm-start rule for new items.
 *
 * Cohort prior (empirical Bayes): the members of a cohort (items of a category, users of a segment) have success
 * rates spread around a common mean; fitting a Beta(alpha0, beta0) to that spread gives a new member a prior that is
 * neither over- nor under-confident. Moment estimator of the beta-binomial (Kleinman 1973, "Proportions with
 * extraneous variance: single and independent samples", JASA 68(341)): with pooled mean mu = sum s_i / sum n_i,
 * N = sum n_i and the weighted dispersion S = sum (s_i - n_i mu)^2 / n_i,
 *
 *     E[S] = mu (1 - mu) [ (m - 1)(1 - rho) + rho (N - sum n_i^2 / N) ],   rho = 1 / (alpha0 + beta0 + 1)
 *
 * (Var s_i = n_i mu (1 - mu)(1 + (n_i - 1) rho), less the part the pooled mean absorbs), so
 * rho = (S / (mu (1 - mu)) - (m - 1)) / (N - sum n_i^2 / N - (m - 1)), clamped to the range of strengths allowed, and
 * alpha0 = mu (1/rho - 1), beta0 = (1 - mu)(1/rho - 1).
 *
 * Popularity prior: an item's own engagement elsewhere (clicks and impressions on other surfaces, or overall) is
 * shrunk toward the cohort prior, and the result becomes the mean of a deliberately weak prior of `strength`
 * pseudo-trials, so that the item's own data on this surface soon dominate.
 *
 * Warm-start rule: a new item's posterior is its prior plus its own counts; while it has fewer than `minTrials`
 * impressions it is 'cold' (it belongs in the bandit's exploration pool, ranked by Thompson sampling or UCB); from
 * then on it is 'warm' and the main ranker may score it, starting from the posterior mean (a shrunk rate that does not
 * jump on the first click).
 */
import type { BetaArm } from './thompson.js';

export interface BetaPrior {
  alpha: number;
  beta: number;
}

export interface Counts {
  successes: number;
  trials: number;
}

function checkCounts(fn: string, c: Counts, i?: number): void {
  const at = i === undefined ? '' : `[${i}]`;
  if (!(c.trials >= 0) || !(c.successes >= 0) || c.successes > c.trials || !Number.isFinite(c.trials))
    throw new RangeError(`${fn}: counts${at} need 0 <= successes <= trials (got ${c.successes} of ${c.trials})`);
}

/** Beta with the given mean (0 < mean < 1) and strength alpha + beta (> 0). */
export function betaFromMean(mean: number, strength: number): BetaPrior {
  if (!(mean > 0 && mean < 1)) throw new RangeError(`betaFromMean: mean must be in (0, 1) (got ${mean})`);
  if (!(strength > 0) || !Number.isFinite(strength)) throw new RangeError(`betaFromMean: strength must be finite and > 0 (got ${strength})`);
  return { alpha: mean * strength, beta: (1 - mean) * strength };
}

export interface CohortPriorOptions {
  /** Bounds on the fitted strength alpha0 + beta0. Defaults 2 and 10,000. */
  minStrength?: number;
  maxStrength?: number;
}

/** Fits Beta(alpha0, beta0) to the members' counts by the beta-binomial moment estimator (Kleinman 1973). */
export function cohortPrior(members: readonly Counts[], options: CohortPriorOptions = {}): BetaPrior & { rho: number } {
  const fn = 'cohortPrior';
  const minS = options.minStrength ?? 2, maxS = options.maxStrength ?? 10_000;
  const used = members.filter((c, i) => (checkCounts(fn, c, i), c.trials > 0));
  if (used.length === 0) throw new RangeError(`${fn}: no member has any trials`);
  let N = 0, sN2 = 0, sS = 0;
  for (const c of used) {
    N += c.trials;
    sN2 += c.trials * c.trials;
    sS += c.successes;
  }
  // Kept inside (0, 1) so that a cohort without any success (or failure) still gets a proper prior.
  const mu = Math.min(Math.max(sS / N, 1e-6), 1 - 1e-6);
  let S = 0;
  for (const c of used) S += (c.successes - c.trials * mu) ** 2 / c.trials;
  const denom = N - sN2 / N - (used.length - 1);
  let rho = denom > 0 ? (S / (mu * (1 - mu)) - (used.length - 1)) / denom : 0;
  rho = Math.min(Math.max(rho, 1 / (maxS + 1)), 1 / (minS + 1));
  const strength = 1 / rho - 1;
  return { ...betaFromMean(mu, strength), rho };
}

export interface PopularityPriorOptions {
  /** Pseudo-trials of the prior. Default 10. */
  strength?: number;
  /** The cohort prior to shrink toward. Default: cohortPrior of the items' own counts. */
  cohort?: BetaPrior;
}

/**
 * One prior per item from its engagement elsewhere: mean (clicks + alpha0) / (impressions + alpha0 + beta0), with
 * `strength` pseudo-trials.
 */
export function popularityPriors<T extends { item_id: string; clicks: number; impressions: number }>(
  items: readonly T[],
  options: PopularityPriorOptions = {},
): Array<BetaPrior & { item_id: string }> {
  const strength = options.strength ?? 10;
  const counts = items.map((it) => ({ successes: it.clicks, trials: it.impressions }));
  const cohort = options.cohort ?? cohortPrior(counts);
  return items.map((it, i) => {
    checkCounts('popularityPriors', counts[i]!, i);
    const mean = (it.clicks + cohort.alpha) / (it.impressions + cohort.alpha + cohort.beta);
    return { item_id: it.item_id, ...betaFromMean(mean, strength) };
  });
}

export interface WarmStartOptions {
  /** Impressions after which an item is warm. Default 100. */
  minTrials?: number;
}

export interface WarmStartState extends BetaPrior {
  state: 'cold' | 'warm';
  /** Posterior mean: the item's score until the main ranker has learnt it. */
  mean: number;
}

/** The warm-start rule: posterior = prior + own counts; cold below minTrials impressions, warm from there on. */
export function warmStart(counts: Counts, prior: BetaPrior, options: WarmStartOptions = {}): WarmStartState {
  checkCounts('warmStart', counts);
  const minTrials = options.minTrials ?? 100;
  const alpha = prior.alpha + counts.successes;
  const beta = prior.beta + counts.trials - counts.successes;
  return { state: counts.trials < minTrials ? 'cold' : 'warm', alpha, beta, mean: alpha / (alpha + beta) };
}

/** Arms for Thompson sampling or UCB: each item's prior plus its counts. */
export function armsFrom(items: ReadonlyArray<{ item_id: string; prior: BetaPrior } & Counts>): BetaArm[] {
  return items.map((it) => {
    const s = warmStart(it, it.prior, { minTrials: Infinity });
    return { item_id: it.item_id, alpha: s.alpha, beta: s.beta };
  });
}
