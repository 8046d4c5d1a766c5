/**
 * The data sets drift compares: a file (read by DuckDB's CSV, Parquet and JSON readers into a temporary table) or a
 * window of a project's decisions in the store, whose columns are the keys of `decisions.attributes`.
 *
 * File loading and JSON attribute extraction use DuckDB functions (read_csv, json_keys, json_extract_string): they run
 * on the DuckDB store, or on an in-memory DuckDB for files (`DuckDbStore.open(':memory:')`). The per-column analysis
 * SQL over the resulting relations is plain GROUP BY.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../errors.js';
import { microsToIso, parseTimestampMicros } from '../../events/timestamp.js';
import { lit, type Queryable } from '../sql.js';
import { qi, type ColumnInfo, type ColumnKind, type Relation } from './profile.js';

export interface LoadedSource {
  relation: Relation;
  columns: ColumnInfo[];
  /** Columns left out, with the reason. */
  skipped: Record<string, string>;
  rows: number;
}

// Whole type names: INTEGER[] (a list) or STRUCT(...) is not a number or a category.
const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL(\(\d+,\s*\d+\))?)$/;
const CATEGORICAL_TYPE = /^(VARCHAR|BOOLEAN|UUID|ENUM\(.*\))$/;

function reader(file: string): { sql: string; format: string } {
  const lower = file.toLowerCase().replace(/\.gz$/, '');
  if (/\.(parquet|pq)$/.test(lower)) return { sql: `read_parquet(${lit(file)})`, format: 'Parquet' };
  if (/\.(jsonl|ndjson|json)$/.test(lower)) return { sql: `read_json(${lit(file)}, format = 'newline_delimited')`, format: 'JSONL' };
  if (/\.(csv|tsv|txt)$/.test(lower)) return { sql: `read_csv(${lit(file)}, header = true)`, format: 'CSV' };
  throw new UserError(`${file}: unknown file type; expected .csv, .tsv, .parquet, .jsonl or .ndjson (optionally .gz)`);
}

/** The kind of a DuckDB column type for drift, or null for types it does not compare (dates, lists, ...). */
export function kindOfType(type: string): ColumnKind | null {
  if (NUMERIC_TYPE.test(type)) return 'numeric';
  if (CATEGORICAL_TYPE.test(type)) return 'categorical';
  return null;
}

/**
 * Loads a file into a temporary table (a temporary view for Parquet) of a DuckDB-backed Queryable and describes its
 * columns.
 *
 * @param option the flag that named the file, for messages (e.g. "--reference")
 * @param table temporary table name to create (replaced if it exists)
 */
export async function loadFile(db: Queryable, file: string, table: string, option: string): Promise<LoadedSource> {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) throw new UserError(`${option} ${file}: no such file`);
  const { sql, format } = reader(abs);
  try {
    // Parquet is columnar: a view reads only the columns each query needs. Text formats are parsed once into a table.
    const what = format === 'Parquet' ? 'VIEW' : 'TABLE';
    await db.query(`DROP VIEW IF EXISTS ${qi(table)}`).catch(() => undefined);
    await db.query(`DROP TABLE IF EXISTS ${qi(table)}`).catch(() => undefined);
    await db.query(`CREATE TEMP ${what} ${qi(table)} AS SELECT * FROM ${sql}`);
  } catch (err) {
    // DuckDB's first line names the CSV line; the column and value come a few lines later.
    const lines = (err as Error).message.split('\n');
    const conv = lines.find((l) => /^Error when converting column/.test(l));
    throw new UserError(`${option} ${file}: could not be read as ${format}: ${lines[0]}${conv ? `: ${conv}` : ''}`);
  }
  const loaded = await describeTable(db, table, abs);
  if (loaded.rows === 0) throw new UserError(`${option} ${file}: the file has no data rows; expected a header line and at least one row`);
  return loaded;
}

/** Columns and row count of a table (a loaded file). */
export async function describeTable(db: Queryable, table: string, label: string): Promise<LoadedSource> {
  const desc = await db.query(`DESCRIBE ${qi(table)}`);
  const columns: ColumnInfo[] = [];
  const skipped: Record<string, string> = {};
  for (const r of desc) {
    const name = String(r.column_name), type = String(r.column_type);
    const kind = kindOfType(type);
    if (kind) columns.push({ name, kind });
    else skipped[name] = type === 'JSON' ? 'values of mixed JSON types (numbers and strings, or nested values) are not compared' : `type ${type} is not compared`;
  }
  const rows = Number((await db.query(`SELECT count(*) AS n FROM ${qi(table)}`))[0]?.n ?? 0);
  // Row N (from 1) in file order for messages. A file is always read by the embedded DuckDB, whatever engine holds
  // the store, so this window function does not tie the store's analysis SQL to one engine.
  const row = { id: 'row_number() OVER ()', order: 'lg_k', noun: 'row' };
  return { relation: { from: qi(table), params: [], label, row }, columns, skipped, rows };
}

/** A time range [start, end) as UTC timestamp texts for SQL. */
export interface TimeRange {
  start: string;
  end: string;
}

/** A UTC timestamp text for SQL from a date or RFC 3339 time (offsets honoured). */
export function parseTime(name: string, text: string): string {
  const micros = parseTimestampMicros(text.trim());
  if (micros === null) throw new UserError(`${name} must be a date or RFC 3339 time such as 2026-01-02 or 2026-01-02T03:04:05Z (got '${text}')`);
  return microsToIso(micros).replace('T', ' ').replace('Z', '');
}

/** Parses 'START/END' (dates or RFC 3339 times; END exclusive). */
export function parseRange(name: string, text: string): TimeRange {
  const parts = text.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new UserError(`${name} must be START/END, e.g. 2026-01-01/2026-01-08 (got '${text}')`);
  const range = { start: parseTime(name, parts[0]), end: parseTime(name, parts[1]) };
  if (!(range.start < range.end)) throw new UserError(`${name}: START must be before END (got '${text}')`);
  return range;
}

const jsonPath = (key: string) => lit(`$."${key.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);

/** The SQL expression of attribute `key` of decisions, typed for its kind. */
export function attributeExpr(col: ColumnInfo): string {
  const text = `json_extract_string(attributes, ${jsonPath(col.name)})`;
  return col.kind === 'numeric' ? `TRY_CAST(${text} AS DOUBLE)` : text;
}

/**
 * The attribute keys of a project's decisions (in a time range, if given) and their kinds: numeric when every
 * non-null value is a JSON number, categorical otherwise (strings, booleans; arrays and objects are skipped).
 */
export async function attributeColumns(db: Queryable, project: string, range?: TimeRange): Promise<{ columns: ColumnInfo[]; skipped: Record<string, string> }> {
  const where = range ? ' AND ts >= CAST(? AS TIMESTAMP) AND ts < CAST(? AS TIMESTAMP)' : '';
  const rows = await db.query(
    `SELECT k, json_type(attributes, '$."' || replace(replace(k, '\\', '\\\\'), '"', '\\"') || '"') AS t, count(*) AS n
       FROM (SELECT attributes, unnest(json_keys(attributes)) AS k FROM decisions WHERE project = ? AND attributes IS NOT NULL${where}) s
      GROUP BY 1, 2 ORDER BY 1`,
    [project, ...(range ? [range.start, range.end] : [])],
  );
  const types = new Map<string, Set<string>>();
  for (const r of rows) {
    const k = String(r.k);
    const t = String(r.t);
    if (!types.has(k)) types.set(k, new Set());
    if (t !== 'NULL') types.get(k)!.add(t);
  }
  const columns: ColumnInfo[] = [];
  const skipped: Record<string, string> = {};
  for (const [k, ts] of types) {
    if ([...ts].some((t) => t === 'ARRAY' || t === 'OBJECT')) skipped[k] = 'arrays and objects are not compared';
    else if (ts.size && [...ts].every((t) => t === 'BIGINT' || t === 'UBIGINT' || t === 'DOUBLE')) columns.push({ name: k, kind: 'numeric' });
    else columns.push({ name: k, kind: 'categorical' });
  }
  return { columns, skipped };
}

/**
 * A relation over the decisions of a project in [start, end) with one column per attribute, plus lg_ts, lg_user_id
 * and lg_event_id (the decision's time, user and id, for windowing and sampling).
 */
export function windowRelation(project: string, range: TimeRange | null, columns: readonly ColumnInfo[], label: string): Relation {
  const cols = columns.map((c) => `${attributeExpr(c)} AS ${qi(c.name)}`);
  const where = range ? ' AND ts >= CAST(? AS TIMESTAMP) AND ts < CAST(? AS TIMESTAMP)' : '';
  return {
    from: `(SELECT ts AS lg_ts, user_id AS lg_user_id, event_id AS lg_event_id${cols.length ? ', ' + cols.join(', ') : ''} FROM decisions WHERE project = ?${where}) AS lg_window`,
    params: [project, ...(range ? [range.start, range.end] : [])],
    label,
    row: { id: 'lg_event_id', order: 'lg_ts, lg_event_id', noun: 'decision' },
  };
}

/** Number of rows of a relation. */
export async function countRows(db: Queryable, rel: Relation): Promise<number> {
  return Number((await db.query(`SELECT count(*) AS n FROM ${rel.from}`, rel.params))[0]?.n ?? 0);
}
