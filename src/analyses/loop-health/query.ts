/**
 * The SQL aggregates loop health needs. Each returns a few rows per group (counts per item, per traffic kind), never
 * the exposures themselves.
 */
import { NEGATIVE_OUTCOME_KINDS } from '../../events/kinds.js';
import { EXPLORE_SQL, lit, type Queryable } from '../sql.js';

export type Window = 'day' | 'week' | 'none';

export interface Scope {
  project: string;
  window: Window;
  /** Exposure columns to split by (e.g. policy_version). */
  by: string[];
  since?: string;
  until?: string;
  /** Outcome kinds that count as success; all kinds when empty. */
  outcomeKinds: string[];
}

export const GROUPABLE = ['policy_version', 'policy', 'surface', 'strategy'] as const;

function groupExprs(db: Queryable, scope: Scope): string[] {
  const exprs = scope.by.map((c) => `coalesce(CAST(e.${c} AS VARCHAR), '(none)')`);
  if (scope.window === 'day') exprs.push(db.dialect.day('e.ts'));
  if (scope.window === 'week') exprs.push(db.dialect.week('e.ts'));
  return exprs;
}

function where(scope: Scope, params: unknown[]): string {
  params.push(scope.project);
  let w = `e.project = $${params.length}`;
  if (scope.since) {
    params.push(scope.since);
    w += ` AND e.ts >= CAST($${params.length} AS TIMESTAMP)`;
  }
  if (scope.until) {
    params.push(scope.until);
    w += ` AND e.ts < CAST($${params.length} AS TIMESTAMP)`;
  }
  return w;
}

/** Outcomes per (request, item), joined to exposures; success = at least one outcome of the counted kinds. */
function outcomeJoin(scope: Scope, params: unknown[]): string {
  params.push(scope.project);
  // Success: an outcome of a counted kind with a positive value (a rating of 0 or a dwell of 0 ms is no success).
  let w = `project = $${params.length} AND item_id IS NOT NULL AND value > 0`;
  if (scope.outcomeKinds.length) w += ` AND kind IN (${scope.outcomeKinds.map(lit).join(', ')})`;
  else w += ` AND kind NOT IN (${NEGATIVE_OUTCOME_KINDS.map(lit).join(', ')})`;
  return `LEFT JOIN (SELECT request_id, item_id, count(*) AS n FROM outcomes WHERE ${w} GROUP BY request_id, item_id) o
            ON o.request_id = e.request_id AND o.item_id = e.item_id`;
}

const keyCols = (n: number) => Array.from({ length: n }, (_, i) => `g${i}`);

function select(exprs: string[]): string {
  return exprs.map((x, i) => `${x} AS g${i}`).join(', ');
}

export interface ItemCountRow {
  key: string[];
  item: string;
  exposures: number;
  hits: number;
  outcomes: number;
  firstTs: string;
  /** Sum over the item's exposures of 1 / (items shown in that decision): its share of decisions, for APLT. */
  decisionWeight: number;
  /** Exposures of the item in exploited (not exploration or holdout) traffic. */
  exploitExposures: number;
}

export interface TrafficRow {
  key: string[];
  explore: boolean;
  top: boolean;
  exposures: number;
  hits: number;
  outcomes: number;
}

/**
 * One pass over the exposures (and one outcome join) for both shapes the analysis needs: counts per group and item,
 * and counts per group and kind of traffic (exploration/holdout or exploited; top slot or not).
 */
export async function exposureCounts(db: Queryable, scope: Scope, topPosition: number): Promise<{ items: ItemCountRow[]; traffic: TrafficRow[] }> {
  const params: unknown[] = [];
  const g = groupExprs(db, scope);
  const join = outcomeJoin(scope, params);
  params.push(topPosition);
  const sql = `SELECT ${g.length ? select(g) + ',' : ''} e.item_id AS item, ${EXPLORE_SQL} AS explore, (e.position = $${params.length}) AS top,
      count(*) AS exposures, count(o.n) AS hits, sum(coalesce(o.n, 0)) AS outcomes, CAST(min(e.ts) AS VARCHAR) AS first_ts,
      sum(1.0 / coalesce(e.n_shown, 1)) AS decision_weight
    FROM exposures e ${join}
    WHERE ${where(scope, params)}
    GROUP BY ${[...keyCols(g.length), 'e.item_id', 'explore', 'top'].join(', ')}`;
  const items = new Map<string, ItemCountRow>();
  const traffic = new Map<string, TrafficRow>();
  for (const r of await db.query(sql, params)) {
    const key = keyCols(g.length).map((k) => String(r[k]));
    const item = String(r.item), explore = Boolean(r.explore), top = Boolean(r.top);
    const exposures = Number(r.exposures), hits = Number(r.hits), outcomes = Number(r.outcomes), firstTs = String(r.first_ts);
    const decisionWeight = Number(r.decision_weight);
    const ik = [...key, item].join('\u0001');
    const it = items.get(ik);
    const exploitExposures = explore ? 0 : exposures;
    if (!it) items.set(ik, { key, item, exposures, hits, outcomes, firstTs, decisionWeight, exploitExposures });
    else {
      it.exploitExposures += exploitExposures;
      it.decisionWeight += decisionWeight;
      it.exposures += exposures;
      it.hits += hits;
      it.outcomes += outcomes;
      if (firstTs < it.firstTs) it.firstTs = firstTs;
    }
    const tk = [...key, explore, top].join('\u0001');
    const tr = traffic.get(tk);
    if (!tr) traffic.set(tk, { key, explore, top, exposures, hits, outcomes });
    else (tr.exposures += exposures), (tr.hits += hits), (tr.outcomes += outcomes);
  }
  return { items: [...items.values()], traffic: [...traffic.values()] };
}

/** The slot the policy ranks first: the smallest position logged (1, or 0 for 0-based logs). */
export async function topPosition(db: Queryable, scope: Scope): Promise<number | null> {
  const params: unknown[] = [];
  const rows = await db.query(`SELECT min(e.position) AS p FROM exposures e WHERE ${where(scope, params)}`, params);
  const p = rows[0]?.p;
  return p === null || p === undefined ? null : Number(p);
}

export interface CandidateTiming {
  item: string;
  firstCandidate: string;
  firstExposure: string | null;
  /** Hours from first appearance in candidates to first exposure. */
  delayHours: number | null;
}

/** When each candidate item was first considered and first shown (the catalog's cold-start pipeline). */
export async function candidateTimings(db: Queryable, scope: Scope): Promise<CandidateTiming[]> {
  const params: unknown[] = [scope.project];
  let range = '';
  if (scope.since) (params.push(scope.since), (range += ` AND ts >= CAST($${params.length} AS TIMESTAMP)`));
  if (scope.until) (params.push(scope.until), (range += ` AND ts < CAST($${params.length} AS TIMESTAMP)`));
  const sql = `SELECT c.item_id AS item, CAST(c.first_c AS VARCHAR) AS first_c, CAST(x.first_e AS VARCHAR) AS first_e,
      CASE WHEN x.first_e IS NULL THEN NULL ELSE ${db.dialect.epochSeconds('x.first_e')} - ${db.dialect.epochSeconds('c.first_c')} END AS delay_s
    FROM (SELECT item_id, min(ts) AS first_c FROM candidates WHERE project = $1${range} GROUP BY item_id) c
    LEFT JOIN (SELECT item_id, min(ts) AS first_e FROM exposures WHERE project = $1${range} GROUP BY item_id) x ON x.item_id = c.item_id`;
  const rows = await db.query(sql, params);
  return rows.map((r) => ({
    item: String(r.item),
    firstCandidate: String(r.first_c),
    firstExposure: r.first_e === null ? null : String(r.first_e),
    delayHours: r.delay_s === null ? null : Math.max(0, Number(r.delay_s)) / 3600,
  }));
}

/** Items ever exposed in the project (the catalog when nothing better is known). */
export async function exposedItems(db: Queryable, project: string): Promise<string[]> {
  const rows = await db.query('SELECT DISTINCT item_id AS item FROM exposures WHERE project = $1 ORDER BY item', [project]);
  return rows.map((r) => String(r.item));
}

export async function candidateItems(db: Queryable, project: string): Promise<string[]> {
  const rows = await db.query('SELECT DISTINCT item_id AS item FROM candidates WHERE project = $1 ORDER BY item', [project]);
  return rows.map((r) => String(r.item));
}

export interface OfflineMetric {
  policy_version: string;
  metric: string;
  value: number;
  higher_is_better: boolean;
}

export async function offlineMetrics(db: Queryable, project: string): Promise<OfflineMetric[]> {
  const rows = await db.query(
    `SELECT policy_version, metric, value, higher_is_better FROM offline_metrics WHERE project = $1 ORDER BY ts`,
    [project],
  );
  // The latest value per (version, metric) wins.
  const latest = new Map<string, OfflineMetric>();
  for (const r of rows)
    latest.set(`${String(r.policy_version)}\u0000${String(r.metric)}`, {
      policy_version: String(r.policy_version),
      metric: String(r.metric),
      value: Number(r.value),
      higher_is_better: Boolean(r.higher_is_better),
    });
  return [...latest.values()];
}

