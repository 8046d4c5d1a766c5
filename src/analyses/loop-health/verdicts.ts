/**
 * The checks of loop health. Each verdict says in one sentence what it means and what to do; thresholds have defaults
 * that `--config FILE` (JSON: {"thresholds": {...}}) overrides.
 */
import { formatGroup, type Group, type Verdict } from '../result.js';

export interface Thresholds {
  /** Least share of exposures from exploration or holdout traffic. */
  exploration_share_min: number;
  /** Least share of the catalog shown at least once per group. */
  coverage_min: number;
  /** Largest rise of the exposure Gini from the first to the last group of a sequence. */
  gini_rise_max: number;
  /** Largest share of outcomes that land on the top slot. */
  top_slot_outcome_share_max: number;
  /** Largest share of shown items with fewer than --min-outcomes outcomes. */
  starved_item_share_max: number;
  /** Confidence level of every interval. */
  confidence: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  exploration_share_min: 0.005,
  coverage_min: 0.2,
  gini_rise_max: 0.05,
  top_slot_outcome_share_max: 0.9,
  starved_item_share_max: 0.5,
  confidence: 0.95,
};

export interface GroupStats {
  group: Group;
  exposures: number;
  coverage: number;
  catalog: number;
  gini: number;
  explorationShare: number;
  topSlotOutcomeShare: number | null;
  outcomes: number;
  starvedShare: number | null;
  gap: { difference: number; lower: number; upper: number; exploit: number; explore: number } | null;
}

export interface VerdictInput {
  stats: GroupStats[];
  dynamics: Array<
    | { group: Group; slope: number; lower: number; upper: number }
    | { group: Group; giniFirst: number; giniLast: number; steps: number }
  >;
  offlineOnline: Array<{ from: string; to: string; metric: string; offlineImprovement: number; online: { difference: number; lower: number; upper: number } }>;
  thresholds: Thresholds;
  minOutcomes: number;
  sequence: string;
  byVersion: boolean;
  /** Number of distinct policy versions seen. */
  versions: number;
}

const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1).replace(/\.0$/, '')}%`;
const where = (g: Group) => (Object.keys(g).length ? ` in ${formatGroup(g)}` : '');

/** One verdict per failing group, or a single ok verdict when every group passes. */
function perGroup(check: string, okMessage: string, found: Verdict[]): Verdict[] {
  return found.length ? found : [{ check, status: 'ok', message: okMessage }];
}

export function loopHealthVerdicts(v: VerdictInput): Verdict[] {
  const t = v.thresholds;
  const out: Verdict[] = [];
  const totalExposures = v.stats.reduce((s, g) => s + g.exposures, 0);
  const totalExplore = v.stats.reduce((s, g) => s + g.explorationShare * g.exposures, 0);

  if (totalExplore === 0) {
    out.push({
      check: 'exploration_present', status: 'fail', value: 0, threshold: t.exploration_share_min,
      message: 'There is no exploration or holdout traffic at all, so every outcome was shaped by the model\'s own choices and nothing shows what it misses; serve 1-5% of traffic through an exploration policy with logged propensities.',
    });
  } else {
    out.push({ check: 'exploration_present', status: 'ok', value: totalExplore / totalExposures, message: `Exploration or holdout traffic is ${pct(totalExplore / totalExposures)} of exposures, an anchor to what users do when the model does not choose.` });
    out.push(
      ...perGroup(
        'exploration_share',
        `Every group has at least ${pct(t.exploration_share_min)} exploration or holdout traffic.`,
        v.stats
          .filter((g) => g.explorationShare < t.exploration_share_min)
          .map((g) => ({
            check: 'exploration_share', status: 'warn' as const, group: g.group, value: g.explorationShare, threshold: t.exploration_share_min,
            message: `Exploration is ${pct(g.explorationShare)} of exposures${where(g.group)}, under ${pct(t.exploration_share_min)}: too little to anchor estimates to reality; raise it to 1-5% of traffic.`,
          })),
      ),
    );
  }

  out.push(
    ...perGroup(
      'coverage',
      `Every group shows at least ${pct(t.coverage_min)} of the catalog.`,
      v.stats
        .filter((g) => g.coverage < t.coverage_min)
        .map((g) => ({
          check: 'coverage', status: 'warn' as const, group: g.group, value: g.coverage, threshold: t.coverage_min,
          message: `Only ${pct(g.coverage)} of the ${g.catalog}-item catalog was shown${where(g.group)}; items never shown never get feedback, so add exploration or a diversity constraint.`,
        })),
    ),
  );

  const giniTrends = v.dynamics.filter((d): d is Extract<VerdictInput['dynamics'][number], { giniFirst: number }> => 'giniFirst' in d);
  out.push(
    ...perGroup(
      'gini_rising',
      giniTrends.length ? `Exposure concentration (Gini) rose by no more than ${t.gini_rise_max} across each sequence of ${v.sequence}s.` : `There is only one ${v.sequence}, so no trend of concentration can be seen yet.`,
      giniTrends
        .filter((d) => d.giniLast - d.giniFirst > t.gini_rise_max)
        .map((d) => ({
          check: 'gini_rising', status: 'warn' as const, group: d.group, value: d.giniLast - d.giniFirst, threshold: t.gini_rise_max,
          message: `Exposure Gini rose from ${d.giniFirst.toFixed(2)} to ${d.giniLast.toFixed(2)} over ${d.steps + 1} ${v.sequence}s: traffic concentrates on ever fewer items; check whether the model trains on its own logs and weight training by inverse propensity.`,
        })),
    ),
  );

  const slopes = v.dynamics.filter((d): d is Extract<VerdictInput['dynamics'][number], { slope: number }> => 'slope' in d);
  if (slopes.length)
    out.push(
      ...perGroup(
        'amplification',
        `No step between ${v.sequence}s amplifies popularity with confidence (no slope with its interval above 1).`,
        slopes
          .filter((d) => d.lower > 1)
          .map((d) => ({
            check: 'amplification', status: 'fail' as const, group: d.group, value: d.slope, threshold: 1,
            message: `Items' exposure shares grow ${d.slope.toFixed(2)}x (interval ${d.lower.toFixed(2)}-${d.upper.toFixed(2)}) from one ${v.sequence} to the next${where(d.group)}: the loop is rich-get-richer; retrain with inverse-propensity weights and keep an exploration slice.`,
          })),
      ),
    );

  out.push(
    ...perGroup(
      'top_slot_outcomes',
      `No group has more than ${pct(t.top_slot_outcome_share_max)} of its outcomes on the top slot.`,
      v.stats
        .filter((g) => g.topSlotOutcomeShare !== null && g.topSlotOutcomeShare > t.top_slot_outcome_share_max)
        .map((g) => ({
          check: 'top_slot_outcomes', status: 'warn' as const, group: g.group, value: g.topSlotOutcomeShare!, threshold: t.top_slot_outcome_share_max,
          message: `${pct(g.topSlotOutcomeShare!)} of outcomes${where(g.group)} land on items the model already ranked first, so training mostly confirms its own ranking; add an exploration slice of 1-5% of traffic.`,
        })),
    ),
  );

  out.push(
    ...perGroup(
      'starvation',
      `No group has more than ${pct(t.starved_item_share_max)} of its shown items with fewer than ${v.minOutcomes} outcomes.`,
      v.stats
        .filter((g) => g.starvedShare !== null && g.starvedShare > t.starved_item_share_max)
        .map((g) => ({
          check: 'starvation', status: 'warn' as const, group: g.group, value: g.starvedShare!, threshold: t.starved_item_share_max,
          message: `${pct(g.starvedShare!)} of shown items${where(g.group)} have fewer than ${v.minOutcomes} outcomes, too few to learn from; the model's view of them is a guess that never gets corrected, so give them more traffic (exploration) or judge them over longer windows.`,
        })),
    ),
  );

  const gaps = v.stats.filter((g) => g.gap);
  if (gaps.length)
    out.push(
      ...perGroup(
        'explore_exploit',
        'Where both kinds of traffic exist, exploited traffic converts no worse than exploration.',
        gaps
          .filter((g) => g.gap!.upper < 0)
          .map((g) => ({
            check: 'explore_exploit', status: 'warn' as const, group: g.group, value: g.gap!.difference, threshold: 0,
            message: `Exploited traffic converts worse than exploration${where(g.group)} (${pct(g.gap!.exploit)} against ${pct(g.gap!.explore)}): the model ranks below random here; check for a stale or self-reinforcing model.`,
          })),
      ),
    );

  if (v.offlineOnline.length)
    out.push(
      ...perGroup(
        'offline_online',
        'No offline improvement between versions is contradicted by the online outcome rate.',
        v.offlineOnline
          .filter((d) => d.offlineImprovement > 0 && d.online.lower <= 0)
          .map((d) => {
            const down = d.online.upper < 0;
            return {
              check: 'offline_online', status: down ? ('fail' as const) : ('warn' as const), group: { policy_version: d.to, previous: d.from, metric: d.metric },
              value: d.online.difference, threshold: 0,
              message: `Offline ${d.metric} improved from ${d.from} to ${d.to} while the online outcome rate went ${down ? 'down' : 'flat'} (${d.online.difference >= 0 ? '+' : ''}${pct(d.online.difference)}): offline metrics computed on the model's own logs are rewarding it for agreeing with itself; evaluate on exploration logs or with off-policy estimators.`,
            };
          }),
      ),
    );
  else if (v.byVersion && v.versions >= 2)
    out.push({ check: 'offline_online', status: 'unknown', message: 'No offline metrics were posted for consecutive policy versions, so offline and online cannot be compared; post them to /v1/projects/<project>/model-versions/<version>/offline-metrics or pass --offline FILE.' });
  return out;
}
