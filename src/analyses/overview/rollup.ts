/**
 * The dashboard's rollup of a project's exposures: counts and outcome hits per (UTC day, policy version, item, kind of
 * traffic). One GROUP BY pass (with the same outcome join as loop health) returns at most days x versions x items x 2
 * rows, whatever the size of the log; every time series, Lorenz curve and filter of the loop-health panels is then
 * arithmetic over these typed arrays, so changing a filter does not scan the store again.
 */
import { NEGATIVE_OUTCOME_KINDS } from '../../events/kinds.js';
import { EXPLORE_SQL, lit, OUTCOME_PAIR_MATCH, outcomePairJoin, type Queryable } from '../sql.js';

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

/** Success as in loop health's default: an outcome of a kind that is not negative, with a positive value. */
function rollupSelect(db: Queryable, where = ''): string {
  const negative = NEGATIVE_OUTCOME_KINDS.map(lit).join(', ');
  const keys = `CAST(floor(${db.dialect.epochSeconds('e.ts')} / ${DAY_SECONDS}) AS INTEGER) AS day,
      coalesce(CAST(e.policy_version AS VARCHAR), '(none)') AS version, e.item_id AS item,
      CASE WHEN ${EXPLORE_SQL} THEN 1 ELSE 0 END AS explore`;
  const success = `project = $1 AND item_id IS NOT NULL AND value > 0 AND kind NOT IN (${negative})`;
  // Exposures, and the exposures with a success (an inner join: see outcomePairJoin), summed per key.
  return `SELECT day, version, item, explore, sum(x) AS exposures, sum(h) AS hits
    FROM (SELECT ${keys}, count(*) AS x, 0 AS h FROM exposures e WHERE e.project = $1${where} GROUP BY day, version, item, explore
        UNION ALL
          SELECT ${keys}, 0 AS x, count(*) AS h FROM exposures e ${outcomePairJoin(success)}
          WHERE e.project = $1${where} AND ${OUTCOME_PAIR_MATCH} GROUP BY day, version, item, explore) t
    GROUP BY day, version, item, explore`;
}

/** Scans of the raw tables (for tests and benchmarks): full rollups, and rollups of some days only. */
export const rollupScans = { full: 0, days: 0, servedFromTable: 0 };

async function catalogOf(db: Queryable, project: string): Promise<number> {
  const cand = await db.query('SELECT count(DISTINCT item_id) AS n FROM candidates WHERE project = $1', [project]);
  return Number(cand[0]?.n ?? 0);
}

/**
 * Builds the rollup of one project with one GROUP BY over the raw tables. Success is an outcome of a kind that is not
 * negative with a positive value, as in loop health's default (so the rates agree with `loopguard loop-health`).
 */
export async function exposureRollup(db: Queryable, project: string): Promise<Rollup> {
  rollupScans.full++;
  const cols = await db.queryColumns(rollupSelect(db), [project]);
  return buildRollup(project, cols, await catalogOf(db, project), new Date().toISOString());
}

/** Where the store keeps the rollup (migration 5 creates the tables) and commits its updates. */
export interface RollupWriter {
  /** Runs one statement on a connection of its own (it keeps the transaction of BEGIN ... COMMIT). */
  run(sql: string, params?: never[]): Promise<unknown>;
  close(): void;
}

const dayStartText = (d: number) => new Date(d * DAY_SECONDS * 1000).toISOString().slice(0, 19).replace('T', ' ');

/** `ts` within any of the days (runs of consecutive days become one range, so zone maps can skip the rest). */
function daysWhere(column: string, days: number[]): string {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  const ranges: Array<[number, number]> = [];
  for (const d of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === d) last[1] = d + 1;
    else ranges.push([d, d + 1]);
  }
  return ranges.map(([a, b]) => `(${column} >= TIMESTAMP '${dayStartText(a)}' AND ${column} < TIMESTAMP '${dayStartText(b)}')`).join(' OR ');
}

async function countsPerDay(db: Queryable, table: 'exposures' | 'outcomes', project: string): Promise<Map<number, number>> {
  const rows = await db.query(`SELECT CAST(floor(${db.dialect.epochSeconds('ts')} / ${DAY_SECONDS}) AS INTEGER) AS day, count(*) AS n FROM ${table} WHERE project = $1 GROUP BY 1`, [project]);
  return new Map(rows.map((r) => [Number(r.day), Number(r.n)]));
}

/**
 * The rollup kept in the store (tables dashboard_rollup, dashboard_rollup_days, dashboard_rollup_state; migration 5),
 * brought up to date incrementally. Its watermark is the count of the project's exposures and outcomes it covers, in
 * total and per UTC day: when the totals are unchanged the table is served as it is (no scan of the raw tables);
 * otherwise only the days whose counts changed are recomputed: the days of new exposures, the days of new outcomes,
 * and the decision days of those outcomes (a late outcome changes the hits of an earlier day). Counts are taken before
 * the days are recomputed, so rows that arrive meanwhile make the next read recompute their days again.
 */
export async function persistedRollup(db: Queryable, writer: () => Promise<RollupWriter>, project: string): Promise<Rollup> {
  const [state] = await db.query('SELECT exposure_rows, outcome_rows, catalog, CAST(computed_at AS VARCHAR) AS computed_at FROM dashboard_rollup_state WHERE project = $1', [project]);
  const [tot] = await db.query('SELECT (SELECT count(*) FROM exposures WHERE project = $1) AS e, (SELECT count(*) FROM outcomes WHERE project = $1) AS o', [project]);
  const eRows = Number(tot?.e ?? 0), oRows = Number(tot?.o ?? 0);
  if (state && Number(state.exposure_rows) === eRows && Number(state.outcome_rows) === oRows) {
    rollupScans.servedFromTable++;
    return readPersisted(db, project, Number(state.catalog), new Date(`${String(state.computed_at).replace(' ', 'T')}Z`).toISOString());
  }
  const eDays = await countsPerDay(db, 'exposures', project);
  const oDays = await countsPerDay(db, 'outcomes', project);
  let redo: number[] | null = null; // null: every day
  if (state) {
    const old = await db.query('SELECT kind, day, n FROM dashboard_rollup_days WHERE project = $1', [project]);
    const before = { e: new Map<number, number>(), o: new Map<number, number>() };
    for (const r of old) before[r.kind === 'e' ? 'e' : 'o'].set(Number(r.day), Number(r.n));
    const changed = (now: Map<number, number>, was: Map<number, number>) =>
      [...new Set([...now.keys(), ...was.keys()])].filter((d) => (now.get(d) ?? 0) !== (was.get(d) ?? 0));
    const eChanged = changed(eDays, before.e), oChanged = changed(oDays, before.o);
    const days = new Set([...eChanged, ...oChanged]);
    if (oChanged.length) {
      const decided = await db.query(
        `SELECT DISTINCT CAST(floor(${db.dialect.epochSeconds('e.ts')} / ${DAY_SECONDS}) AS INTEGER) AS day
         FROM outcomes o JOIN exposures e ON e.project = o.project AND e.request_id = o.request_id
         WHERE o.project = $1 AND (${daysWhere('o.ts', oChanged)})`,
        [project],
      );
      for (const r of decided) days.add(Number(r.day));
    }
    redo = [...days];
  }
  const catalog = await catalogOf(db, project);
  const computedAt = new Date().toISOString();
  const w = await writer();
  const run = (sql: string, params: unknown[] = []) => w.run(sql, params as never[]);
  await run('BEGIN TRANSACTION');
  try {
    if (redo === null) {
      rollupScans.full++;
      await run('DELETE FROM dashboard_rollup WHERE project = $1', [project]);
      await run(`INSERT INTO dashboard_rollup SELECT $1 AS project, r.day, r.version, r.item, r.explore, r.exposures, r.hits FROM (${rollupSelect(db)}) r`, [project]);
    } else if (redo.length) {
      rollupScans.days++;
      await run(`DELETE FROM dashboard_rollup WHERE project = $1 AND day IN (${redo.join(', ')})`, [project]);
      await run(`INSERT INTO dashboard_rollup SELECT $1 AS project, r.day, r.version, r.item, r.explore, r.exposures, r.hits FROM (${rollupSelect(db, ` AND (${daysWhere('e.ts', redo)})`)}) r`, [project]);
    }
    await run('DELETE FROM dashboard_rollup_days WHERE project = $1', [project]);
    const values = [...[...eDays].map(([d, n]) => `('e', ${d}, ${n})`), ...[...oDays].map(([d, n]) => `('o', ${d}, ${n})`)];
    for (let i = 0; i < values.length; i += 1000)
      await run(`INSERT INTO dashboard_rollup_days SELECT $1 AS project, v.kind, v.day, v.n FROM (VALUES ${values.slice(i, i + 1000).join(', ')}) v(kind, day, n)`, [project]);
    await run('DELETE FROM dashboard_rollup_state WHERE project = $1', [project]);
    await run('INSERT INTO dashboard_rollup_state VALUES ($1, $2, $3, $4, CAST($5 AS TIMESTAMP))', [project, eRows, oRows, catalog, computedAt.replace('T', ' ').replace('Z', '')]);
    await run('COMMIT');
  } catch (err) {
    await run('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    w.close();
  }
  return readPersisted(db, project, catalog, computedAt);
}

async function readPersisted(db: Queryable, project: string, catalog: number, computedAt: string): Promise<Rollup> {
  const cols = await db.queryColumns('SELECT day, version, item, explore, exposures, hits FROM dashboard_rollup WHERE project = $1', [project]);
  return buildRollup(project, cols, catalog, computedAt);
}

/** The rollup from its rows (day numbers since the epoch, version and item texts, counts), as typed arrays. */
export function buildRollup(project: string, cols: Record<string, unknown>, candidates: number, computedAt: string): Rollup {
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

  return {
    project,
    days,
    versions: order.map((i) => byName[i]!),
    items: [...itemIndex.keys()],
    catalogSize: candidates > 0 ? Math.max(candidates, itemIndex.size) : itemIndex.size,
    catalogSource: candidates > 0 ? 'candidates' : 'exposed',
    ...out,
    computedAt,
    totalExposures: total,
  };
}
