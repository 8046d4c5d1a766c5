/**
 * Column profiles: the sufficient statistics of one column of one data set, as the engine returns them.
 *
 * Numeric: distinct values with counts (`SELECT v, count(*) GROUP BY v`), exact for KS, Wasserstein-1 and quantile
 * bins whatever the number of rows. Categorical: counts per category. Missing values (NULL, NaN, infinities) are
 * counted apart.
 */
import type { WeightedSample } from '../../stats/weighted-sample.js';
import type { Queryable } from '../sql.js';

export type ColumnKind = 'numeric' | 'categorical';

/** Where a data set's rows come from: a table expression usable after FROM, with its bound parameters. */
export interface Relation {
  /** A table name or a parenthesised derived table with an alias. */
  from: string;
  params: readonly unknown[];
  /** For the report: a file path or a store window. */
  label: string;
  /** How a message names one row: an SQL expression of its id, ordered by `order`, and the noun (files: row N from 1). Without it, messages name the value alone. */
  row?: { id: string; order: string; noun: string };
}

export interface ColumnInfo {
  name: string;
  kind: ColumnKind;
}

export interface NumericProfile {
  kind: 'numeric';
  sample: WeightedSample;
  /** Rows with a finite value. */
  n: number;
  missing: number;
}

export interface CategoricalProfile {
  kind: 'categorical';
  counts: Map<string, number>;
  n: number;
  missing: number;
}

export type Profile = NumericProfile | CategoricalProfile;

/** A double-quoted SQL identifier. */
export const qi = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Builds a numeric profile from parallel (value, count) columns; NaN (NULL) and infinite values count as missing. */
export function numericProfile(values: ArrayLike<number>, counts: ArrayLike<number>): NumericProfile {
  let missing = 0, finite = 0, sorted = true, last = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (Number.isFinite(x)) {
      finite++;
      if (x < last) sorted = false;
      last = x;
    } else missing += counts[i]!;
  }
  let order: ArrayLike<number> | null = null;
  if (!sorted) {
    const idx: number[] = [];
    for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) idx.push(i);
    idx.sort((a, b) => values[a]! - values[b]!);
    order = idx;
  }
  const v = new Float64Array(finite), c = new Float64Array(finite);
  let k = 0, n = 0;
  for (let j = 0, i = 0; i < values.length; i++) {
    const at = order ? (j < finite ? order[j++]! : -1) : i;
    if (at < 0) break;
    const raw = values[at]!;
    if (!order && !Number.isFinite(raw)) continue;
    const x = raw === 0 ? 0 : raw; // -0 and 0 are one value
    const cnt = counts[at]!;
    n += cnt;
    if (k > 0 && v[k - 1] === x) c[k - 1]! += cnt;
    else (v[k] = x), (c[k] = cnt), k++;
  }
  return { kind: 'numeric', sample: { values: v.slice(0, k), counts: c.slice(0, k) }, n, missing };
}

/** A numeric profile from raw values (one per row): sorted as a typed array, then run-length counted. */
export function numericProfileFromRaw(raw: Float64Array): NumericProfile {
  let finite = 0;
  for (let i = 0; i < raw.length; i++) if (Number.isFinite(raw[i]!)) finite++;
  const x = new Float64Array(finite);
  for (let i = 0, j = 0; i < raw.length; i++) if (Number.isFinite(raw[i]!)) x[j++] = raw[i]! === 0 ? 0 : raw[i]!;
  x.sort();
  const v = new Float64Array(finite), c = new Float64Array(finite);
  let k = 0;
  for (let i = 0; i < finite; i++) {
    if (k > 0 && v[k - 1] === x[i]) c[k - 1]!++;
    else (v[k] = x[i]!), (c[k] = 1), k++;
  }
  return { kind: 'numeric', sample: { values: v.slice(0, k), counts: c.slice(0, k) }, n: finite, missing: raw.length - finite };
}

export function categoricalProfile(values: ArrayLike<string | null>, counts: ArrayLike<number>): CategoricalProfile {
  const map = new Map<string, number>();
  let missing = 0, n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const c = counts[i]!;
    if (v === null || v === undefined) missing += c;
    else map.set(v, (map.get(v) ?? 0) + c), (n += c);
  }
  return { kind: 'categorical', counts: map, n, missing };
}

/** A numeric profile read as categories (a number column with few distinct values). */
export function asCategorical(p: Profile): CategoricalProfile {
  if (p.kind === 'categorical') return p;
  const map = new Map<string, number>();
  for (let i = 0; i < p.sample.values.length; i++) map.set(String(p.sample.values[i]), p.sample.counts[i]!);
  return { kind: 'categorical', counts: map, n: p.n, missing: p.missing };
}

/** Number of distinct non-missing values. */
export function distinctCount(p: Profile): number {
  return p.kind === 'numeric' ? p.sample.values.length : p.counts.size;
}

/** The SQL expression of a column's value for profiling. */
export function valueExpr(col: ColumnInfo): string {
  return col.kind === 'numeric' ? `CAST(${qi(col.name)} AS DOUBLE)` : `CAST(${qi(col.name)} AS VARCHAR)`;
}

/** Rows probed to decide how to read a numeric column. */
const PROBE_ROWS = 10_000;

/**
 * One column's profile over a relation. Categorical and low-cardinality numeric columns: a GROUP BY value. A numeric
 * column whose first 10,000 rows are mostly distinct (a continuous feature) is read as raw values instead and sorted
 * here: for ~10^6 distinct values, a hash aggregate with 10^6 groups costs the engine more than the sort costs a typed
 * array, and the result is the same exact profile.
 */
export async function fetchProfile(db: Queryable, rel: Relation, col: ColumnInfo): Promise<Profile> {
  if (col.kind === 'numeric') {
    const probe = await db.query(
      `SELECT count(v) AS n, count(DISTINCT v) AS d FROM (SELECT ${valueExpr(col)} AS v FROM ${rel.from} LIMIT ${PROBE_ROWS}) AS lg_probe`,
      rel.params,
    );
    const n = Number(probe[0]?.n ?? 0), d = Number(probe[0]?.d ?? 0);
    if (n >= 1000 && d > 0.5 * n) {
      const r = await db.queryColumns(`SELECT ${valueExpr(col)} AS v FROM ${rel.from}`, rel.params);
      return numericProfileFromRaw(r.v as Float64Array);
    }
  }
  const sql = `SELECT ${valueExpr(col)} AS v, CAST(count(*) AS DOUBLE) AS n FROM ${rel.from} GROUP BY 1`;
  const r = await db.queryColumns(sql, rel.params);
  if (col.kind === 'numeric') return numericProfile(r.v as Float64Array, r.n as Float64Array);
  return categoricalProfile(r.v as Array<string | null>, r.n as Float64Array);
}

/**
 * Profiles per group (a day, a week) in one query: `GROUP BY group, value`. Groups come back sorted.
 */
export async function fetchGroupedProfiles(db: Queryable, rel: Relation, col: ColumnInfo, groupExpr: string): Promise<Map<string, Profile>> {
  const sql = `SELECT ${groupExpr} AS g, ${valueExpr(col)} AS v, CAST(count(*) AS DOUBLE) AS n FROM ${rel.from} GROUP BY 1, 2`;
  const r = await db.queryColumns(sql, rel.params);
  const g = r.g as Array<string | null>;
  const byGroup = new Map<string, number[]>();
  for (let i = 0; i < g.length; i++) {
    const key = String(g[i]);
    let list = byGroup.get(key);
    if (!list) byGroup.set(key, (list = []));
    list.push(i);
  }
  const out = new Map<string, Profile>();
  for (const key of [...byGroup.keys()].sort()) {
    const rows = byGroup.get(key)!;
    const counts = rows.map((i) => (r.n as Float64Array)[i]!);
    if (col.kind === 'numeric') out.set(key, numericProfile(rows.map((i) => (r.v as Float64Array)[i]!), counts));
    else out.set(key, categoricalProfile(rows.map((i) => (r.v as Array<string | null>)[i]!), counts));
  }
  return out;
}
