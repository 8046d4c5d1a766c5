/**
 * Feedback-loop health: is the model narrowing what users see and learning from the narrowing?
 *
 * The store returns counts per (group, item) and per (group, traffic kind); everything here is arithmetic over those.
 * Concentration: Gini, normalized entropy, top-k shares, catalog coverage. Long tail: head = the most exposed items
 * that cover 80% of exposures in the reference (earliest) group; tail share, ARP and APLT (Abdollahpouri, Burke &
 * Mobasher 2019, "Managing popularity bias in recommender systems with personalized re-ranking"). Outcome starvation:
 * items with too few outcomes to learn from, outcomes concentrated on the top slot, delay from candidate to first
 * exposure. Reality anchor: outcome rate of exploration/holdout traffic against exploited traffic (Wilson and Newcombe
 * intervals). Dynamics between consecutive groups: changes of concentration, Jensen-Shannon divergence of exposure
 * distributions and the popularity-amplification slope (share under the next version regressed on share under this
 * one; above 1 = rich-get-richer, cf. Chaney, Stewart & Engelhardt 2018; Jiang et al. 2019).
 */
import {
  entropyNorm,
  gini,
  headTailSplit,
  jensenShannonDivergence,
  newcombeDifferenceInterval,
  olsSlope,
  quantile,
  topShare,
  wilsonInterval,
} from '../../stats/index.js';
import { UserError } from '../../errors.js';
import { NEGATIVE_OUTCOME_KINDS } from '../../events/kinds.js';
import type { Group, Metric, Result } from '../result.js';
import { sqlTime, type Queryable } from '../sql.js';
import { checkOutcomeKinds, checkThresholds } from '../options.js';
import { cellSumsByVersion, type RoundScope } from '../ope/query.js';
import { estimateFromSums } from '../ope/sums.js';
import { DEFAULT_OPE_THRESHOLDS } from '../ope/verdicts.js';
import {
  candidateItems,
  candidateTimings,
  compareCodePoints,
  exposedItems,
  exposureScan,
  offlineMetrics,
  type OfflineMetric,
  type Scope,
  type Window,
} from './query.js';
import { DEFAULT_THRESHOLDS, loopHealthVerdicts, type GroupStats, type Thresholds } from './verdicts.js';

export interface LoopHealthOptions {
  project: string;
  window?: Window;
  by?: string[];
  since?: string;
  until?: string;
  minOutcomes?: number;
  outcomeKinds?: string[];
  /** Catalog item ids (from --catalog); otherwise candidates, otherwise every item ever exposed. */
  catalog?: string[];
  /** Offline metrics per version from a file, in addition to those posted to the server. */
  offline?: OfflineMetric[];
  thresholds?: Partial<Thresholds>;
  /** Where the logs came from, for the report (a file path, or the store). */
  source?: string;
}

interface GroupAcc {
  key: string[];
  label: Group;
  counts: Float64Array;
  outcomes: Float64Array;
  /** Per item: sum of 1 / slate length over its exposures. */
  decisionWeight: Float64Array;
  exposed: Uint8Array;
  /** Epoch seconds of the group's first exposure. */
  firstSeconds: number;
  /** Filled once the counts are complete. */
  total: number;
  exposedCount: number;
  gini: number;
  entropy: number;
}


export function checkOptions(o: LoopHealthOptions): void {
  checkThresholds(o.thresholds as Record<string, unknown> | undefined, DEFAULT_THRESHOLDS as unknown as Record<string, number>);
  checkOutcomeKinds(o.outcomeKinds);
  if (o.minOutcomes !== undefined && !(Number.isInteger(o.minOutcomes) && o.minOutcomes >= 1))
    throw new UserError(`min_outcomes must be a whole number of at least 1 (got ${o.minOutcomes})`);
}

export async function loopHealth(db: Queryable, o: LoopHealthOptions): Promise<Result> {
  checkOptions(o);
  const since = sqlTime('since', o.since), until = sqlTime('until', o.until);
  const scope: Scope = {
    project: o.project,
    window: o.window ?? 'none',
    by: o.by ?? ['policy_version'],
    outcomeKinds: o.outcomeKinds ?? [],
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
  };
  const thresholds: Thresholds = { ...DEFAULT_THRESHOLDS, ...(o.thresholds ?? {}) };
  const minOutcomes = o.minOutcomes ?? 10;
  const inputs: Record<string, unknown> = {
    source: o.source ?? 'store',
    project: o.project,
    window: scope.window,
    by: scope.by,
    since: o.since,
    until: o.until,
    min_outcomes: minOutcomes,
    outcome_kinds: scope.outcomeKinds.length ? scope.outcomeKinds : `all but ${NEGATIVE_OUTCOME_KINDS.join(', ')}`,
  };
  const result: Result = { analysis: 'loop_health', inputs, metrics: [], verdicts: [] };

  // The one pass over the exposures: counts per group and item, per group and kind of traffic, and the top slot.
  const scan = await exposureScan(db, scope);
  if (scan === null) {
    result.verdicts.push({ check: 'data', status: 'fail', message: 'There are no exposures in this scope, so nothing can be measured; check the project name, the time range and the mapping of the logs.' });
    return result;
  }
  const { items, traffic, topPosition: top } = scan;

  // The catalog: items never shown count as zeros in concentration and coverage.
  let catalogSource: string;
  let catalogItems: string[];
  if (o.catalog?.length) (catalogSource = 'file'), (catalogItems = o.catalog);
  else {
    const cands = await candidateItems(db, o.project);
    if (cands.length) (catalogSource = 'candidates'), (catalogItems = cands);
    else {
      catalogSource = 'exposed';
      // Every item ever exposed in the project: without a time range, exactly the items of the scan, in the order of
      // the SQL query's ORDER BY (code points).
      catalogItems = scope.since || scope.until ? await exposedItems(db, o.project) : [...new Set(items.map((r) => r.item))].sort(compareCodePoints);
    }
  }
  const index = new Map<string, number>();
  for (const it of catalogItems) if (!index.has(it)) index.set(it, index.size);
  let outsideCatalog = 0;
  for (const r of items)
    if (!index.has(r.item)) {
      index.set(r.item, index.size);
      outsideCatalog++;
    }
  const K = index.size;
  Object.assign(inputs, { catalog_source: catalogSource, catalog_size: K, items_outside_catalog: outsideCatalog, top_position: top });

  // Per-group count vectors over the catalog.
  const windowName = scope.window === 'none' ? null : scope.window;
  const labelOf = (key: string[]): Group => {
    const g: Group = {};
    scope.by.forEach((c, i) => (g[c] = key[i]!));
    if (windowName) g[windowName] = key[key.length - 1]!;
    return g;
  };
  const groups = new Map<string, GroupAcc>();
  for (const r of items) {
    const id = r.key.join('\u0001');
    let acc = groups.get(id);
    if (!acc) {
      acc = { key: r.key, label: labelOf(r.key), counts: new Float64Array(K), outcomes: new Float64Array(K), decisionWeight: new Float64Array(K), exposed: new Uint8Array(K), firstSeconds: r.firstSeconds, total: 0, exposedCount: 0, gini: NaN, entropy: NaN };
      groups.set(id, acc);
    }
    const i = index.get(r.item)!;
    acc.counts[i] = r.exposures;
    acc.outcomes[i] = r.outcomes;
    acc.decisionWeight[i] = r.decisionWeight;
    acc.exposed[i] = 1;
    if (r.firstSeconds < acc.firstSeconds) acc.firstSeconds = r.firstSeconds;
  }

  for (const g of groups.values()) {
    g.total = g.counts.reduce((s, x) => s + x, 0);
    g.exposedCount = g.exposed.reduce((s, x) => s + x, 0);
    g.gini = gini(g.counts, K);
    g.entropy = entropyNorm(g.counts, K);
  }

  // Sequences, along time only: with a window, consecutive windows within each `by` partition; without one, the policy
  // versions in the order they first appear, within each partition of the other `by` columns. Other splits (surface,
  // strategy) are not a sequence, so they get no dynamics.
  const versionCol = scope.by.indexOf('policy_version');
  const sequential = windowName !== null || versionCol >= 0;
  const partitions = new Map<string, GroupAcc[]>();
  for (const g of sequential ? groups.values() : []) {
    const pk = windowName ? g.key.slice(0, scope.by.length).join('\u0001') : g.key.filter((_, i) => i !== versionCol).join('\u0001');
    const list = partitions.get(pk) ?? [];
    list.push(g);
    partitions.set(pk, list);
  }
  for (const list of partitions.values())
    list.sort((a, b) => (windowName ? a.key[a.key.length - 1]!.localeCompare(b.key[b.key.length - 1]!) : a.firstSeconds - b.firstSeconds));
  const ordered = [...groups.values()].sort((a, b) => a.firstSeconds - b.firstSeconds);
  const reference = ordered[0]!;
  const refTotal = reference.total;
  const split = headTailSplit(reference.counts, 0.8);
  const popularity = reference.counts.map((x) => x / refTotal);
  inputs.reference_group = reference.label;
  inputs.head_items = split.head.length;

  const metric = (name: string, value: number | null, group: Group, extra: Partial<Metric> = {}) =>
    result.metrics.push({ name, value: value === null || Number.isFinite(value) ? value : null, group, ...extra });

  const byKey = <T extends { key: string[] }>(rows: T[]) => {
    const m = new Map<string, T[]>();
    for (const r of rows) {
      const k = r.key.join('\u0001');
      const list = m.get(k);
      if (list) list.push(r);
      else m.set(k, [r]);
    }
    return m;
  };
  const trafficOf = byKey(traffic), itemsOf = byKey(items);
  const stats: GroupStats[] = [];
  const anchorWarnings: Array<{ group: Group; reason: string }> = [];
  for (const g of ordered) {
    const n = g.total, exposedCount = g.exposedCount;
    const group = g.label;
    let tail = 0, arp = 0, starved = 0, decisions = 0, tailDecisions = 0;
    for (let i = 0; i < K; i++) {
      decisions += g.decisionWeight[i]!;
      if (!split.isHead[i]) (tail += g.counts[i]!), (tailDecisions += g.decisionWeight[i]!);
      arp += g.counts[i]! * popularity[i]!;
      if (g.exposed[i] && g.outcomes[i]! < minOutcomes) starved++;
    }
    const t = trafficOf.get(g.key.join('\u0001')) ?? [];
    const sum = (f: (r: (typeof t)[number]) => boolean, v: (r: (typeof t)[number]) => number) => t.filter(f).reduce((s, r) => s + v(r), 0);
    const all = () => true;
    const exposures = sum(all, (r) => r.exposures);
    const hits = sum(all, (r) => r.hits);
    const outcomes = sum(all, (r) => r.outcomes);
    const exploreN = sum((r) => r.explore, (r) => r.exposures), exploreHits = sum((r) => r.explore, (r) => r.hits);
    const exploitN = exposures - exploreN, exploitHits = hits - exploreHits;
    const topOutcomes = sum((r) => r.top, (r) => r.outcomes);
    const exploreOutcomes = sum((r) => r.explore, (r) => r.outcomes);

    metric('exposures', n, group, { n });
    metric('items_exposed', exposedCount, group);
    metric('coverage', exposedCount / K, group, { n: K });
    metric('gini', g.gini, group, { n });
    metric('entropy_norm', g.entropy, group, { n });
    for (const k of [1, 5, 10]) metric(`top${k}_share`, topShare(g.counts, Math.min(k, K)), group, { n });
    metric('tail_share', tail / n, group, { n });
    metric('arp', arp / n, group, { n, unit: 'share of reference exposures' });
    // APLT = mean over decisions of (tail items shown / items shown) = sum over exposures of tail/len, over decisions.
    metric('aplt', tailDecisions / decisions, group, { n: Math.round(decisions) });
    metric('starved_item_share', exposedCount ? starved / exposedCount : null, group, { n: exposedCount });
    metric('outcome_rate', exposures ? hits / exposures : null, group, ciOf(hits, exposures, thresholds.confidence));
    metric('exploration_share', exploreN / exposures, group, { n: exposures });
    if (outcomes > 0) {
      metric('top_slot_outcome_share', topOutcomes / outcomes, group, { n: outcomes });
      metric('explore_outcome_share', exploreOutcomes / outcomes, group, { n: outcomes });
    }
    if (exploreN > 0) metric('explore_rate', exploreHits / exploreN, group, ciOf(exploreHits, exploreN, thresholds.confidence));
    if (exploitN > 0) metric('exploit_rate', exploitHits / exploitN, group, ciOf(exploitHits, exploitN, thresholds.confidence));
    let gap: GroupStats['gap'] = null;
    if (exploreN > 0 && exploitN > 0) {
      const d = newcombeDifferenceInterval(exploitHits, exploitN, exploreHits, exploreN, thresholds.confidence);
      gap = { difference: d.difference, lower: d.lower, upper: d.upper, exploit: exploitHits / exploitN, explore: exploreHits / exploreN };
      metric('explore_exploit_gap', d.difference, group, { ci: [d.lower, d.upper], n: exposures, unit: 'exploit minus explore rate' });
    }
    stats.push({
      group, exposures, coverage: exposedCount / K, catalog: K, gini: g.gini, explorationShare: exploreN / exposures,
      topSlotOutcomeShare: outcomes > 0 ? topOutcomes / outcomes : null, outcomes, starvedShare: exposedCount ? starved / exposedCount : null, gap,
    });
  }

  // Reality anchor, estimated: what the exploited traffic's item mix earns on the exploration traffic (users the model
  // did not choose for), by IPW and SNIPW from the OPE module. The target is position-blind: at every logged slot it
  // shows item a with the share a has in the group's exploited exposures ("marginal replay"), renormalized over the
  // items exploration ever showed. Only for groups that are whole policy versions (no window, by policy_version or none).
  if (scope.window === 'none' && scope.by.every((b) => b === 'policy_version')) {
    const runs: Array<{ group: Group; version: string | undefined; mix: Map<string, number> }> = [];
    for (const g of ordered) {
      const mix = new Map<string, number>();
      for (const r of itemsOf.get(g.key.join('\u0001')) ?? []) if (r.exploitExposures > 0) mix.set(r.item, r.exploitExposures);
      const st = stats.find((x) => x.group === g.label);
      if (!mix.size || !st?.gap) continue;
      const version = scope.by.length ? g.label.policy_version : undefined;
      runs.push({ group: g.label, version: version !== undefined && version !== '(none)' ? version : undefined, mix });
    }
    // The exploration rounds of every version added up per (item, position) in one query (the OPE module's estimates
    // from sufficient statistics, sums.ts), and of all versions together for a group without one.
    const roundScope: RoundScope = {
      project: o.project,
      ...(scope.since ? { since: scope.since } : {}),
      ...(scope.until ? { until: scope.until } : {}),
      explorationOnly: true,
      outcomeKinds: scope.outcomeKinds,
      reward: 'binary',
      attributes: false,
    };
    const versions = [...new Set(runs.flatMap((r) => (r.version === undefined ? [] : [r.version])))];
    const cells = await cellSumsByVersion(db, roundScope, versions);
    const unsplit = runs.some((r) => r.version === undefined) ? (await cellSumsByVersion(db, roundScope)).get('') : undefined;
    const opeThresholds = { ...DEFAULT_OPE_THRESHOLDS, confidence: thresholds.confidence };
    for (const run of runs) {
      const list = run.version === undefined ? unsplit : cells.get(run.version);
      if (!list?.length) continue;
      // The target: each item explored in the version with its share of the exploited exposures among those items.
      let lost = 0;
      const anchor = estimateFromSums(list, (actions) => {
        let total = 0;
        for (const a of actions) total += run.mix.get(a) ?? 0;
        lost = 1 - total / [...run.mix.values()].reduce((x, y) => x + y, 0);
        return actions.map((a) => (total === 0 ? 1 / actions.length : (run.mix.get(a) ?? 0) / total));
      }, 'exploit_mix', opeThresholds);
      for (const est of ['ipw', 'snipw']) {
        const m = anchor.metrics.find((x) => x.name === est)!;
        metric(`exploit_value_${est}`, m.value, run.group, { ...(m.ci ? { ci: m.ci } : {}), ...(m.n !== undefined ? { n: m.n } : {}), unit: 'outcome rate of the exploited item mix on exploration traffic' });
      }
      metric('exploit_mix_unexplored_share', lost, run.group, { unit: "share of the exploited item mix that exploration never showed" });
      const bad = anchor.verdicts.filter((v) => v.status === 'fail');
      if (bad.length) anchorWarnings.push({ group: run.group, reason: bad.map((v) => v.message).join(' ') });
    }
  }

  // Dynamics along each sequence.
  const dynamics: Parameters<typeof loopHealthVerdicts>[0]['dynamics'] = [];
  const seqName = windowName ?? 'policy_version';
  for (const list of partitions.values()) {
    const series: Array<{ group: Group; gini: number }> = [];
    for (let j = 0; j < list.length; j++) {
      const b = list[j]!;
      series.push({ group: b.label, gini: b.gini });
      if (j === 0) continue;
      const a = list[j - 1]!;
      const group: Group = { ...b.label, previous: a.label[seqName] ?? a.key.join('/') };
      metric('delta_gini', b.gini - a.gini, group);
      metric('delta_entropy_norm', b.entropy - a.entropy, group);
      metric('delta_coverage', (b.exposedCount - a.exposedCount) / K, group);
      metric('js_divergence', jensenShannonDivergence(a.counts, b.counts, { base: 2 }), group, { unit: 'bits' });
      const na = a.total, nb = b.total;
      const xs: number[] = [], ys: number[] = [];
      for (let i = 0; i < K; i++) if (a.counts[i]! > 0 || b.counts[i]! > 0) (xs.push(a.counts[i]! / na), ys.push(b.counts[i]! / nb));
      if (xs.length >= 3 && new Set(xs).size > 1) {
        const fit = olsSlope(xs, ys, thresholds.confidence);
        metric('amplification_slope', fit.slope, group, { ci: fit.ci, n: xs.length });
        dynamics.push({ group, slope: fit.slope, lower: fit.ci[0], upper: fit.ci[1] });
      }
    }
    if (series.length >= 2) dynamics.push({ group: series[series.length - 1]!.group, giniFirst: series[0]!.gini, giniLast: series[series.length - 1]!.gini, steps: series.length - 1 });
  }

  // Cold start: how long candidates wait for their first exposure.
  // (With the catalog from the exposures, the project has no candidates at all.)
  const timings = catalogSource === 'exposed' ? [] : await candidateTimings(db, scope, scan.firstExposure);
  if (timings.length) {
    const delays = timings.filter((x) => x.delayHours !== null).map((x) => x.delayHours!);
    if (delays.length) metric('first_exposure_delay_hours', quantile(delays, 0.5), {}, { n: delays.length, unit: 'hours (median)' });
    metric('never_exposed_share', timings.filter((x) => x.firstExposure === null).length / timings.length, {}, { n: timings.length });
  }

  // Offline against online, per policy version.
  // Metrics from a file override those posted for the same (version, metric).
  const offlineByKey = new Map<string, OfflineMetric>();
  for (const m of [...(await offlineMetrics(db, o.project)), ...(o.offline ?? [])]) offlineByKey.set(`${m.policy_version}\u0000${m.metric}`, m);
  const offline = [...offlineByKey.values()];
  const versionAt = scope.by.indexOf('policy_version');
  const offlineOnline: Parameters<typeof loopHealthVerdicts>[0]['offlineOnline'] = [];
  if (offline.length && versionAt >= 0) {
    const online = new Map<string, { hits: number; n: number; first: number }>();
    for (const r of traffic) {
      const v = r.key[versionAt]!;
      const acc = online.get(v) ?? { hits: 0, n: 0, first: Number.POSITIVE_INFINITY };
      acc.hits += r.hits;
      acc.n += r.exposures;
      online.set(v, acc);
    }
    for (const g of groups.values()) {
      const v = g.key[versionAt]!;
      const acc = online.get(v);
      if (acc && g.firstSeconds < acc.first) acc.first = g.firstSeconds;
    }
    const versions = [...online.entries()].sort((a, b) => a[1].first - b[1].first);
    for (const [v, acc] of versions) metric('online_outcome_rate', acc.hits / acc.n, { policy_version: v }, ciOf(acc.hits, acc.n, thresholds.confidence));
    for (const m of offline) metric('offline_metric', m.value, { policy_version: m.policy_version, metric: m.metric });
    for (let j = 1; j < versions.length; j++) {
      const [va, a] = versions[j - 1]!, [vb, b] = versions[j]!;
      for (const name of new Set(offline.map((m) => m.metric))) {
        const oa = offline.find((m) => m.metric === name && m.policy_version === va);
        const ob = offline.find((m) => m.metric === name && m.policy_version === vb);
        if (!oa || !ob) continue;
        const improvement = (ob.value - oa.value) * (ob.higher_is_better ? 1 : -1);
        const d = newcombeDifferenceInterval(b.hits, b.n, a.hits, a.n, thresholds.confidence);
        offlineOnline.push({ from: va, to: vb, metric: name, offlineImprovement: improvement, online: d });
      }
    }
  }

  const anchorVerdicts = anchorWarnings.map((w) => ({
    check: 'anchor_estimate', status: 'warn' as const, group: w.group,
    message: `The exploration-based estimate of what the exploited item mix earns is not to be trusted here: ${w.reason}`,
  }));
  result.verdicts = [...anchorVerdicts, ...loopHealthVerdicts({ stats, dynamics, offlineOnline, thresholds, minOutcomes, sequence: seqName, byVersion: versionAt >= 0,
    versions: versionAt >= 0 ? new Set([...groups.values()].map((g) => g.key[versionAt])).size : 0 })];
  return result;
}

function ciOf(successes: number, n: number, confidence: number): Partial<Metric> {
  if (n === 0) return { n };
  const w = wilsonInterval(successes, n, confidence);
  return { ci: [w.lower, w.upper], n };
}
