/**
 * Column layouts of the event tables and of their per-connection staging twins. Staging holds timestamps as DOUBLE
 * microseconds and JSON as text, so rows can be appended from plain JS arrays; INSERT ... SELECT converts them.
 */
import type { DuckDBType } from '@duckdb/node-api';
import { duckdb } from './duckdb-api.js';

const { BOOLEAN, DOUBLE, INTEGER, VARCHAR } = duckdb;

export type ColumnKind = 'text' | 'json' | 'ts' | 'double' | 'int' | 'bool';

export interface TableSpec {
  name: 'decisions' | 'exposures' | 'explored_exposures' | 'candidates' | 'outcomes' | 'predictions' | 'labels';
  columns: Array<[string, ColumnKind]>;
  /** Tables whose rows are events with their own event_id (deduplicated); the others follow their decision. */
  keyed: boolean;
  /**
   * Columns the table takes from its decision's staged row (joined on project and decision_id) rather than staging
   * them itself: each would be the same value again on every row of the decision.
   */
  fromDecision?: Array<[string, ColumnKind]>;
}

const EXPOSURE_COLUMNS: Array<[string, ColumnKind]> = [
  ['project', 'text'], ['decision_id', 'text'], ['item_id', 'text'], ['position', 'int'], ['propensity', 'double'],
  ['score', 'double'], ['explored', 'bool'],
];
const EXPOSURE_FROM_DECISION: Array<[string, ColumnKind]> = [
  ['request_id', 'text'], ['ts', 'ts'], ['user_id', 'text'], ['surface', 'text'], ['policy', 'text'],
  ['policy_version', 'text'], ['strategy', 'text'], ['n_shown', 'int'],
];

export const TABLES: Record<TableSpec['name'], TableSpec> = {
  decisions: {
    name: 'decisions',
    keyed: true,
    columns: [
      ['project', 'text'], ['event_id', 'text'], ['ts', 'ts'], ['request_id', 'text'], ['user_id', 'text'],
      ['session_id', 'text'], ['surface', 'text'], ['policy', 'text'], ['policy_version', 'text'], ['strategy', 'text'],
      ['attributes', 'json'], ['n_shown', 'int'], ['n_candidates', 'int'],
    ],
  },
  exposures: {
    name: 'exposures',
    keyed: false,
    // The shown item's own fields only: appending the decision's eight strings again on each of its rows was most of
    // the ingest server's time in DuckDB's value-by-value chunk writer (20 ms against 8 ms per 1,000 decisions of 3).
    columns: EXPOSURE_COLUMNS,
    fromDecision: EXPOSURE_FROM_DECISION,
  },
  // The exploration and holdout rows of the exposures again (EXPLORED_EXPOSURES below), staged apart by the store as
  // it stages the exposures, whole: they are a few percent of the rows, and an insert without a join costs less.
  explored_exposures: {
    name: 'explored_exposures',
    keyed: false,
    columns: [...EXPOSURE_COLUMNS, ...EXPOSURE_FROM_DECISION],
  },
  candidates: {
    name: 'candidates',
    keyed: false,
    columns: [['project', 'text'], ['decision_id', 'text'], ['ts', 'ts'], ['item_id', 'text']],
  },
  outcomes: {
    name: 'outcomes',
    keyed: true,
    columns: [
      ['project', 'text'], ['event_id', 'text'], ['ts', 'ts'], ['request_id', 'text'], ['item_id', 'text'],
      ['kind', 'text'], ['value', 'double'],
    ],
  },
  predictions: {
    name: 'predictions',
    keyed: true,
    columns: [
      ['project', 'text'], ['event_id', 'text'], ['ts', 'ts'], ['request_id', 'text'], ['model_version', 'text'],
      ['attributes', 'json'], ['score', 'double'], ['probabilities', 'json'], ['predicted_label', 'text'],
    ],
  },
  labels: {
    name: 'labels',
    keyed: true,
    columns: [
      ['project', 'text'], ['event_id', 'text'], ['ts', 'ts'], ['request_id', 'text'], ['label', 'text'],
      ['source', 'text'], ['annotator_id', 'text'],
    ],
  },
};

/** How a staged column is held, in the staging table and in the vectors of the chunks appended to it. */
export type ChunkLayout = 'varchar' | 'double' | 'integer' | 'boolean';
const STAGED_AS: Record<ColumnKind, ChunkLayout> = {
  text: 'varchar', json: 'varchar', ts: 'double', double: 'double', int: 'integer', bool: 'boolean',
};
const LAYOUT_TYPE: Record<ChunkLayout, DuckDBType> = { varchar: VARCHAR, double: DOUBLE, integer: INTEGER, boolean: BOOLEAN };

export const stagingName = (t: TableSpec) => `st_${t.name}`;

export function createStagingSql(t: TableSpec): string {
  return `CREATE TEMP TABLE IF NOT EXISTS ${stagingName(t)} (${t.columns.map(([c, k]) => `${c} ${String(LAYOUT_TYPE[STAGED_AS[k]])}`).join(', ')})`;
}

/**
 * The key that ties an outcome to the exposure it is about, kept on both tables (migration 6): a 64-bit hash of
 * (request_id, item_id). Analyses join on it, a join on one integer instead of two texts, and then compare the texts of
 * the rows it matched (see OUTCOME_PAIR_MATCH in src/analyses/sql.ts), so a hash collision cannot give a false match.
 * DuckDB's hash() is not promised stable across versions: the store records a probe of it and rekeys when it changes
 * (DuckDbStore.ensureOutcomeKeys).
 */
export const OUTCOME_KEY_SQL = (requestId: string, itemId: string) => `hash(CAST(${requestId} AS VARCHAR), CAST(${itemId} AS VARCHAR))`;

/** Tables that carry outcome_key: their staged rows get it as they are inserted (insertFromStagingSql). */
export const KEYED_BY_OUTCOME = new Set<TableSpec['name']>(['exposures', 'explored_exposures', 'outcomes']);

/**
 * The copy of exploration and holdout exposures (EXPLORE_SQL) kept beside `exposures` (migration 7). The reality
 * anchor is a few percent of the log; selecting it from `exposures` decodes nearly every block of the table's columns,
 * since nearly every block holds some of its rows (loop health's anchor on 10M exposures, 2% explored: 0.6 s from
 * `exposures`, 0.25 s from this table, reward join and conversion included). Written with every exposure, in the same
 * transaction.
 */
export const EXPLORED_EXPOSURES = 'explored_exposures';

/** INSERT ... SELECT of a staged table into its table; columns `fromDecision` come from the staged decisions. */
export function insertFromStagingSql(t: TableSpec): string {
  const value = (src: string, c: string, k: ColumnKind) =>
    k === 'ts' ? `make_timestamp(CAST(${src}.${c} AS BIGINT))` : k === 'json' ? `CAST(${src}.${c} AS JSON)` : `${src}.${c}`;
  const all: Array<readonly [string, string]> = [
    ...t.columns.map(([c, k]) => [c, value('s', c, k)] as const),
    ...(t.fromDecision ?? []).map(([c, k]) => [c, value('d', c, k)] as const),
  ];
  const col = (name: string) => all.find(([c]) => c === name)![1];
  if (KEYED_BY_OUTCOME.has(t.name)) all.push(['outcome_key', OUTCOME_KEY_SQL(col('request_id'), col('item_id'))]);
  const from = t.fromDecision
    ? `${stagingName(t)} s JOIN ${stagingName(TABLES.decisions)} d ON d.project = s.project AND d.event_id = s.decision_id`
    : `${stagingName(t)} s`;
  return `INSERT INTO ${t.name} (${all.map(([c]) => c).join(', ')}) SELECT ${all.map(([, x]) => x).join(', ')} FROM ${from}`;
}

/** The vector layout of each staged column, in column order. */
export function chunkLayouts(t: TableSpec): ChunkLayout[] {
  return t.columns.map(([, k]) => STAGED_AS[k]);
}

/** The chunk types of a staged table's columns, in column order. */
export function chunkTypes(t: TableSpec): DuckDBType[] {
  return chunkLayouts(t).map((l) => LAYOUT_TYPE[l]);
}

export type Cell = string | number | boolean | null;

/** Rows for one table, held column by column. */
export class ColumnBuffer {
  readonly columns: Cell[][];
  length = 0;
  constructor(readonly spec: TableSpec) {
    this.columns = spec.columns.map(() => []);
  }
  push(values: readonly Cell[]): void {
    for (let i = 0; i < values.length; i++) this.columns[i]!.push(values[i]!);
    this.length++;
  }
}
