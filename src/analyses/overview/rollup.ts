/**
 * The dashboard's rollup of a project's exposures: counts and outcome hits per (UTC day, policy version, item, kind of
 * traffic). One GROUP BY pass (with the same outcome join as loop health) returns at most days x versions x items x 2
 * rows, whatever the size of the log; every time series, Lorenz curve and filter of the loop-health panels is then
 * arithmetic over these typed arrays, so changing a filter does not scan the store again.
 */
import { NEGATIVE_OUTCOME_KINDS } from '../../events/kinds.js';
import { EXPLORE_SQL, lit, type Queryable } from '../sql.js';

export interface Rollup {
  project: string;
  /** Days as YYYY-MM-DD, ascending; `day[i]` indexes into it. */
  days: string[];
  /** Policy versions in the order they first appear (earliest day, then name). */
  versions: string[];
  /** Item ids; `item[i]` indexes into it. */
  items: string[];
  /** Catalog size: candidates when logged, else every item ever exposed in the project. */
  catalogSize: number;
  catalogSource: 'candidates' | 'exposed';
  /** One entry per rollup row. */
  day: Uint32Array;
  version: Uint32Array;
  item: Uint32Array;
  explore: Uint8Array;
  exposures: Float64Array;
  hits: Float64Array;
  /** When the rollup was computed (ISO time). */
  computedAt: string;
  /** Rows of the log it summarizes. */
  totalExposures: number;
}

const DAY_SECONDS = 86400;

function dayText(n: number): string {
  return new Date(n * DAY_SECONDS * 1000).toISOString().slice(0, 10);
}

/**
 * Builds the rollup of one project. Success is an outcome of a kind that is not negative with a positive value, as in
 * loop health's default (so the rates agree with `loopguard loop-health`).
 */
export async function exposureRollup(db: Queryable, project: string): Promise<Rollup> {
  const negative = NEGATIVE_OUTCOME_KINDS.map(lit).join(', ');
  const sql = `SELECT CAST(floor(${db.dialect.epochSeconds('e.ts')} / ${DAY_SECONDS}) AS DOUBLE) AS day,
      coalesce(CAST(e.policy_version AS VARCHAR), '(none)') AS version, e.item_id AS item,
      CASE WHEN ${EXPLORE_SQL} THEN 1 ELSE 0 END AS explore, count(*) AS exposures, count(o.n) AS hits
    FROM exposures e
      LEFT JOIN (SELECT request_id, item_id, count(*) AS n FROM outcomes
                 WHERE project = $1 AND item_id IS NOT NULL AND value > 0 AND kind NOT IN (${negative})
                 GROUP BY request_id, item_id) o
        ON o.request_id = e.request_id AND o.item_id = e.item_id
    WHERE e.project = $1
    GROUP BY 1, 2, 3, 4`;
  const cols = await db.queryColumns(sql, [project]);
  // No rows come back as no column arrays at all.
  const num = (c: string) => (cols[c] ?? new Float64Array(0)) as Float64Array;
  const text = (c: string) => (cols[c] ?? []) as Array<string | null>;
  const dayCol = num('day'), versionCol = text('version'), itemCol = text('item');
  const exploreCol = num('explore'), nCol = num('exposures'), hitCol = num('hits');
  const rows = dayCol.length;

  let minDay = Infinity, maxDay = -Infinity;
  for (let i = 0; i < rows; i++) {
    const d = dayCol[i]!;
    if (d < minDay) minDay = d;
    if (d > maxDay) maxDay = d;
  }
  const days: string[] = [];
  if (rows) for (let d = minDay; d <= maxDay; d++) days.push(dayText(d));

  const versionIndex = new Map<string, number>(), itemIndex = new Map<string, number>();
  const versionFirst: number[] = [];
  const out = {
    day: new Uint32Array(rows), version: new Uint32Array(rows), item: new Uint32Array(rows), explore: new Uint8Array(rows),
    exposures: new Float64Array(rows), hits: new Float64Array(rows),
  };
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const v = versionCol[i] ?? '(none)', it = itemCol[i] ?? '';
    let vi = versionIndex.get(v);
    if (vi === undefined) versionIndex.set(v, (vi = versionIndex.size)), versionFirst.push(Infinity);
    let ii = itemIndex.get(it);
    if (ii === undefined) itemIndex.set(it, (ii = itemIndex.size));
    const d = dayCol[i]! - minDay;
    if (d < versionFirst[vi]!) versionFirst[vi] = d;
    out.day[i] = d;
    out.version[i] = vi;
    out.item[i] = ii;
    out.explore[i] = exploreCol[i]! ? 1 : 0;
    out.exposures[i] = nCol[i]!;
    out.hits[i] = hitCol[i]!;
    total += nCol[i]!;
  }
  // Versions in order of first appearance; renumber the rows to that order.
  const byName = [...versionIndex.keys()];
  const order = byName.map((_, i) => i).sort((a, b) => versionFirst[a]! - versionFirst[b]! || byName[a]!.localeCompare(byName[b]!));
  const rank = new Uint32Array(order.length);
  order.forEach((old, r) => (rank[old] = r));
  for (let i = 0; i < rows; i++) out.version[i] = rank[out.version[i]!]!;

  const cand = await db.query('SELECT count(DISTINCT item_id) AS n FROM candidates WHERE project = $1', [project]);
  const candidates = Number(cand[0]?.n ?? 0);
  return {
    project,
    days,
    versions: order.map((i) => byName[i]!),
    items: [...itemIndex.keys()],
    catalogSize: candidates > 0 ? Math.max(candidates, itemIndex.size) : itemIndex.size,
    catalogSource: candidates > 0 ? 'candidates' : 'exposed',
    ...out,
    computedAt: new Date().toISOString(),
    totalExposures: total,
  };
}
