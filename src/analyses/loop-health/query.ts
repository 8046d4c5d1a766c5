/**
 * The SQL aggregates loop health needs. Each returns a few rows per group (counts per item, per traffic kind), never
 * the exposures themselves.
 */
import { NEGATIVE_OUTCOME_KINDS } from '../../events/kinds.js';
import { EXPLORE_STRATEGIES, lit, OUTCOME_PAIR_MATCH, outcomePairJoin, type Queryable } from '../sql.js';

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
 * The one pass over the exposures (with the one outcome join) that loop health needs: counts per group, item, kind of
 * traffic and slot class, folded here into counts per (group, item) and per (group, exploration or not, top slot or not).
 *
 * Grouped by the plain columns (explored, strategy) rather than by the EXPLORE_SQL expression, which DuckDB would
 * evaluate on every row; the top slot is found in the same pass: rows are grouped by their position below `split`
 * and by "split or more", so when the smallest class is below `split` it is the smallest position itself. Logs whose
 * positions all are `split` or more (rare: positions start at 0 or 1) take a min(position) query and a second pass.
 * Returns null when there are no exposures in scope.
 */
export async function exposureScan(db: Queryable, scope: Scope, split = 2): Promise<ExposureScan | null> {
  const params: unknown[] = [];
  const g = groupExprs(db, scope);
  const success = successWhere(scope, params);
  params.push(split);
  const slotExpr = `CASE WHEN e.position < $${params.length} THEN e.position ELSE $${params.length} END`;
  const keys = `${g.length ? select(g) + ',' : ''} e.item_id AS item, e.explored AS explored, e.strategy AS strategy, ${slotExpr} AS slot`;
  const inScope = where(scope, params);
  const byKey = [...keyCols(g.length), 'item', 'explored', 'strategy', 'slot'].join(', ');
  // Exposures and their hits in two branches, summed per key: the hits branch is an inner join, so that only the
  // exposures with an outcome go through it (see outcomePairJoin); a LEFT JOIN would carry all of them.
  const sql = `SELECT ${byKey}, sum(x) AS exposures, sum(h) AS hits, sum(n) AS outcomes, ${db.dialect.epochSeconds('min(f)')} AS first_s,
      sum(w) AS decision_weight
    FROM (SELECT ${keys}, count(*) AS x, 0 AS h, 0 AS n, min(e.ts) AS f, sum(1.0 / coalesce(e.n_shown, 1)) AS w
          FROM exposures e WHERE ${inScope} GROUP BY ${byKey}
        UNION ALL
          SELECT ${keys}, 0 AS x, count(*) AS h, sum(o.n) AS n, NULL AS f, 0 AS w
          FROM exposures e ${outcomePairJoin(success)} WHERE ${inScope} AND ${OUTCOME_PAIR_MATCH} GROUP BY ${byKey}) t
    GROUP BY ${byKey}`;
  const cols = await db.queryColumns(sql, params);
  const num = (name: string): Float64Array => {
    const c = cols[name];
    if (!(c instanceof Float64Array)) throw new Error(`exposureScan: column ${name} is not numeric`);
    return c;
  };
  const text = (name: string): Array<string | null> => {
    const c = cols[name];
    if (c === undefined || c instanceof Float64Array) throw new Error(`exposureScan: column ${name} is not text`);
    return c;
  };
  const slot = num('slot');
  const n = slot.length;
  if (n === 0) return null;
  let top = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) if (slot[i]! < top) top = slot[i]!;
  if (top >= split) {
    const p = await minPosition(db, scope);
    return p === null ? null : exposureScan(db, scope, p + 1);
  }
  const keyText = keyCols(g.length).map(text);
  const item = text('item'), strategy = text('strategy');
  const explored = num('explored'), exposures = num('exposures'), hits = num('hits'), outcomes = num('outcomes');
  const firstS = num('first_s'), decisionWeight = num('decision_weight');
  // Per group (by its key text): its items, and its traffic in four slots (exploration or not) x (top slot or not).
  const groups = new Map<string, { key: string[]; items: Map<string, ItemCountRow>; traffic: Array<TrafficRow | undefined> }>();
  const firstExposure = new Map<string, number>();
  const nk = keyText.length;
  // By-columns as text, '(none)' for NULL (as coalesce(CAST(c AS VARCHAR), '(none)') would give).
  const part = (k: number, i: number) => keyText[k]![i] ?? '(none)';
  for (let i = 0; i < n; i++) {
    let id = nk ? part(0, i) : '';
    for (let k = 1; k < nk; k++) id += `\u0001${part(k, i)}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key: Array.from({ length: nk }, (_, k) => part(k, i)), items: new Map(), traffic: [undefined, undefined, undefined, undefined] }));
    const it = item[i]!;
    const explore = explored[i] === 1 || EXPLORE_STRATEGIES.has(strategy[i] ?? '');
    const isTop = slot[i] === top;
    const x = exposures[i]!, h = hits[i]!, out = Number.isNaN(outcomes[i]!) ? 0 : outcomes[i]!, f = firstS[i]!, w = decisionWeight[i]!;
    const exploit = explore ? 0 : x;
    const r = g.items.get(it);
    if (!r) {
      g.items.set(it, { key: g.key, item: it, exposures: x, hits: h, outcomes: out, firstSeconds: f, decisionWeight: w, exploitExposures: exploit });
    } else {
      r.exploitExposures += exploit;
      r.decisionWeight += w;
      r.exposures += x;
      r.hits += h;
      r.outcomes += out;
      if (f < r.firstSeconds) r.firstSeconds = f;
    }
    const ts = (explore ? 2 : 0) + (isTop ? 1 : 0);
    const t = g.traffic[ts];
    if (!t) g.traffic[ts] = { key: g.key, explore, top: isTop, exposures: x, hits: h, outcomes: out };
    else (t.exposures += x), (t.hits += h), (t.outcomes += out);
    const fe = firstExposure.get(it);
    if (fe === undefined || f < fe) firstExposure.set(it, f);
  }
  const items: ItemCountRow[] = [];
  const traffic: TrafficRow[] = [];
  for (const g of groups.values()) {
    for (const r of g.items.values()) items.push(r);
    for (const t of g.traffic) if (t) traffic.push(t);
  }
  return { items, traffic, topPosition: top, firstExposure };
}

/** The smallest position logged in scope. */
async function minPosition(db: Queryable, scope: Scope): Promise<number | null> {
  const params: unknown[] = [];
  const rows = await db.query(`SELECT min(e.position) AS p FROM exposures e WHERE ${where(scope, params)}`, params);
  const p = rows[0]?.p;
  return p === null || p === undefined ? null : Number(p);
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

