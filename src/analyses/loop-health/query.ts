/**
 * The SQL aggregates loop health needs. Each returns a few rows per group (counts per item, per traffic kind), never
 * the exposures themselves.
 */
import { NEGATIVE_OUTCOME_KINDS } from '../../events/kinds.js';
import { EXPLORE_SQL, lit, numberColumn, OUTCOME_PAIR_MATCH, outcomePairJoin, textColumn, type Column, type Queryable } from '../sql.js';

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

/** The split columns as stored (text; NULL becomes '(none)' in exposureScan), then the window's day or week. */
function groupExprs(db: Queryable, scope: Scope): string[] {
  const exprs = scope.by.map((c) => `e.${c}`);
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

/** The outcomes that count as success: a counted kind with a positive value (a rating of 0 or a dwell of 0 ms is none). */
function successWhere(scope: Scope, params: unknown[]): string {
  params.push(scope.project);
  let w = `project = $${params.length} AND item_id IS NOT NULL AND value > 0`;
  if (scope.outcomeKinds.length) w += ` AND kind IN (${scope.outcomeKinds.map(lit).join(', ')})`;
  else w += ` AND kind NOT IN (${NEGATIVE_OUTCOME_KINDS.map(lit).join(', ')})`;
  return w;
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
  /** Epoch seconds of the item's first exposure in the group. */
  firstSeconds: number;
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

export interface ExposureScan {
  items: ItemCountRow[];
  traffic: TrafficRow[];
  /** The slot the policy ranks first: the smallest position logged (1, or 0 for 0-based logs). */
  topPosition: number;
  /** Epoch seconds of each item's first exposure in scope. */
  firstExposure: Map<string, number>;
}

/**
 * The scans loop health needs, folded here into counts per (group, item) and per (group, exploration or not, top slot
 * or not). Three aggregates, none of which groups the whole log by more than (group, item):
 *
 * 1. every exposure in scope per (group, item): exposures, first exposure, decision weight, the smallest position,
 *    and the exposures at positions 0 and 1 (where logs start; the top slot is the smallest position logged);
 * 2. the exploration and holdout exposures (the copy in explored_exposures, a few percent of the rows) per (group,
 *    item, top slot or not);
 * 3. the exposures with an outcome (the one outcome join, an inner join: see outcomePairJoin) per (group, item,
 *    exploration or not, top slot or not), their hits and outcomes.
 *
 * Exploited traffic is what is left of (1) after (2). Grouping (1) by the traffic kind and the slot as well, as this
 * scan did before, costs a third more on the loop-health benchmark's 10M exposures (0.43-0.70 s against 0.30-0.42 s,
 * results materialized in DuckDB): the hash table has twice the keys and every row hashes three more columns. When the
 * smallest position is neither 0 nor 1, one more aggregate counts the top slot's exposures per group.
 * Returns null when there are no exposures in scope.
 */
export async function exposureScan(db: Queryable, scope: Scope): Promise<ExposureScan | null> {
  const g = groupExprs(db, scope);
  const nk = g.length;
  const byGroup = keyCols(nk);
  const keys = `${nk ? select(g) + ', ' : ''}e.item_id AS item`;
  const byItem = [...byGroup, 'item'].join(', ');
  const paramsAll: unknown[] = [];
  const inScope = where(scope, paramsAll);
  const all = await db.queryColumns(
    `SELECT ${keys}, count(*) AS x, sum(CASE WHEN e.position = 0 THEN 1 ELSE 0 END) AS x0,
        sum(CASE WHEN e.position = 1 THEN 1 ELSE 0 END) AS x1, min(e.position) AS p, ${db.dialect.epochSeconds('min(e.ts)')} AS first_s,
        sum(1.0 / coalesce(e.n_shown, 1)) AS w
      FROM exposures e WHERE ${inScope} GROUP BY ${byItem}`,
    paramsAll,
  );
  const n = column(all, 'x', true).length;
  if (n === 0) return null;
  const minP = column(all, 'p', true);
  let top = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) if (minP[i]! < top) top = minP[i]!;

  // Per group (by its key text): its items, and its traffic as exposures, hits, outcomes in four slots,
  // (exploration or not) x (top slot or not) at [2 * explore + top].
  interface Acc {
    key: string[];
    items: Map<string, ItemCountRow>;
    x: Float64Array;
    h: Float64Array;
    o: Float64Array;
    /** Exposures of the group, and those in the top slot. */
    total: number;
    top: number;
  }
  const groups = new Map<string, Acc>();
  const firstExposure = new Map<string, number>();
  /** The group of row i of a result whose key columns (as text) are keyText. */
  const groupOf = (keyText: Array<Array<string | null>>, i: number, create: boolean): Acc => {
    // By-columns as text, '(none)' for NULL (as coalesce(CAST(c AS VARCHAR), '(none)') would give).
    const part = (k: number) => keyText[k]![i] ?? '(none)';
    let id = nk ? part(0) : '';
    for (let k = 1; k < nk; k++) id += `\u0001${part(k)}`;
    let acc = groups.get(id);
    if (!acc) {
      if (!create) throw new Error(`exposureScan: a group of explored exposures or outcomes (${id}) has no exposures`);
      const key = Array.from({ length: nk }, (_, k) => part(k));
      acc = { key, items: new Map(), x: new Float64Array(4), h: new Float64Array(4), o: new Float64Array(4), total: 0, top: 0 };
      groups.set(id, acc);
    }
    return acc;
  };
  {
    const keyText = byGroup.map((c) => column(all, c, false));
    const item = column(all, 'item', false), x = column(all, 'x', true);
    const firstS = column(all, 'first_s', true), w = column(all, 'w', true);
    const atTop = top === 0 ? column(all, 'x0', true) : top === 1 ? column(all, 'x1', true) : null;
    for (let i = 0; i < n; i++) {
      const acc = groupOf(keyText, i, true);
      const it = item[i]!, f = firstS[i]!;
      // exploitExposures: all of them here, less the explored ones below
      const row = { key: acc.key, item: it, exposures: x[i]!, hits: 0, outcomes: 0, firstSeconds: f, decisionWeight: w[i]!, exploitExposures: x[i]! };
      acc.items.set(it, row);
      acc.total += x[i]!;
      if (atTop) acc.top += atTop[i]!;
      const fe = firstExposure.get(it);
      if (fe === undefined || f < fe) firstExposure.set(it, f);
    }
  }
  const params: unknown[] = [];
  const success = successWhere(scope, params);
  const inScope2 = where(scope, params);
  params.push(top);
  const isTop = `CASE WHEN e.position = $${params.length} THEN 1 ELSE 0 END`;
  if (top !== 0 && top !== 1) {
    const topPart: unknown[] = [];
    const inTop = `${where(scope, topPart)} AND e.position = $${topPart.length + 1}`;
    const groupBy = nk ? ` GROUP BY ${byGroup.join(', ')}` : '';
    const rows = await db.queryColumns(`SELECT ${nk ? select(g) + ', ' : ''}count(*) AS x FROM exposures e WHERE ${inTop}${groupBy}`, [...topPart, top]);
    const x = column(rows, 'x', true), keyText = byGroup.map((c) => column(rows, c, false));
    for (let i = 0; i < x.length; i++) groupOf(keyText, i, false).top += x[i]!;
  }
  const part = await db.queryColumns(
    `SELECT ${keys}, ${isTop} AS top, 1 AS explore, count(*) AS x, 0 AS h, 0 AS n
      FROM explored_exposures e WHERE ${inScope2} GROUP BY ${byItem}, top
    UNION ALL
    SELECT ${keys}, ${isTop} AS top, CASE WHEN ${EXPLORE_SQL} THEN 1 ELSE 0 END AS explore, 0 AS x, count(*) AS h, sum(o.n) AS n
      FROM exposures e ${outcomePairJoin(success)} WHERE ${inScope2} AND ${OUTCOME_PAIR_MATCH} GROUP BY ${byItem}, top, explore`,
    params,
  );
  {
    const keyText = byGroup.map((c) => column(part, c, false));
    const item = column(part, 'item', false), tops = column(part, 'top', true), explore = column(part, 'explore', true);
    const x = column(part, 'x', true), h = column(part, 'h', true), o = column(part, 'n', true);
    for (let i = 0; i < item.length; i++) {
      const acc = groupOf(keyText, i, false);
      const r = acc.items.get(item[i]!);
      if (!r) throw new Error(`exposureScan: item ${item[i]} has explored exposures or outcomes but no exposures`);
      const slot = 2 * explore[i]! + tops[i]!;
      const out = Number.isNaN(o[i]!) ? 0 : o[i]!;
      acc.x[slot] = acc.x[slot]! + x[i]!;
      acc.h[slot] = acc.h[slot]! + h[i]!;
      acc.o[slot] = acc.o[slot]! + out;
      r.exploitExposures -= x[i]!;
      r.hits += h[i]!;
      r.outcomes += out;
    }
  }
  const items: ItemCountRow[] = [];
  const traffic: TrafficRow[] = [];
  for (const acc of groups.values()) {
    for (const r of acc.items.values()) items.push(r);
    // exploited = all - explored, in the top slot and below it
    acc.x[1] = acc.top - acc.x[3]!;
    acc.x[0] = acc.total - acc.top - acc.x[2]!;
    for (let s = 0; s < 4; s++)
      if (acc.x[s]! > 0) traffic.push({ key: acc.key, explore: s >= 2, top: s % 2 === 1, exposures: acc.x[s]!, hits: acc.h[s]!, outcomes: acc.o[s]! });
  }
  return { items, traffic, topPosition: top, firstExposure };
}

function column(cols: Record<string, Column>, name: string, numeric: true): Float64Array;
function column(cols: Record<string, Column>, name: string, numeric: false): Array<string | null>;
function column(cols: Record<string, Column>, name: string, numeric: boolean): Column {
  return numeric ? numberColumn(cols, name, 'exposureScan') : textColumn(cols, name, 'exposureScan');
}

export interface CandidateTiming {
  item: string;
  /** Epoch seconds of the item's first appearance in candidates. */
  firstCandidate: number;
  /** Epoch seconds of its first exposure, null when never shown. */
  firstExposure: number | null;
  /** Hours from first appearance in candidates to first exposure. */
  delayHours: number | null;
}

/**
 * When each candidate item was first considered and first shown (the catalog's cold-start pipeline). The first
 * exposures come from the exposure scan (same project and time range), so only the candidates are read here.
 */
export async function candidateTimings(db: Queryable, scope: Scope, firstExposure: ReadonlyMap<string, number>): Promise<CandidateTiming[]> {
  const params: unknown[] = [scope.project];
  let range = '';
  if (scope.since) (params.push(scope.since), (range += ` AND ts >= CAST($${params.length} AS TIMESTAMP)`));
  if (scope.until) (params.push(scope.until), (range += ` AND ts < CAST($${params.length} AS TIMESTAMP)`));
  const rows = await db.query(
    `SELECT item_id AS item, ${db.dialect.epochSeconds('min(ts)')} AS first_c FROM candidates WHERE project = $1${range} GROUP BY item_id`,
    params,
  );
  return rows.map((r) => {
    const item = String(r.item), firstCandidate = Number(r.first_c);
    const fe = firstExposure.get(item);
    return { item, firstCandidate, firstExposure: fe ?? null, delayHours: fe === undefined ? null : Math.max(0, fe - firstCandidate) / 3600 };
  });
}

/**
 * Code-point order of strings, the order of SQL engines' binary string comparison (UTF-8 bytes compare as code
 * points); JavaScript's < compares UTF-16 code units, which puts U+E000..U+FFFF after the surrogate pairs of
 * U+10000 and above.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x === y) continue;
    // Move surrogates (0xD800-0xDFFF) above 0xE000-0xFFFF, keeping everything below 0xD800 in place.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
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

