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
  const idx: number[] = [];
  let missing = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i]!)) idx.push(i);
    else missing += counts[i]!;
  }
  idx.sort((a, b) => values[a]! - values[b]!);
  const v: number[] = [];
  const c: number[] = [];
  for (const i of idx) {
    const x = values[i]! === 0 ? 0 : values[i]!; // -0 and 0 are one value
    if (v.length && v[v.length - 1] === x) c[c.length - 1]! += counts[i]!;
    else v.push(x), c.push(counts[i]!);
  }
  let n = 0;
  for (const x of c) n += x;
  return { kind: 'numeric', sample: { values: Float64Array.from(v), counts: Float64Array.from(c) }, n, missing };
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

/** One column's profile over a relation: a GROUP BY value. */
export async function fetchProfile(db: Queryable, rel: Relation, col: ColumnInfo): Promise<Profile> {
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
