/**
 * Column layouts of the event tables and of their per-connection staging twins. Staging holds timestamps as DOUBLE
 * microseconds and JSON as text, so rows can be appended from plain JS arrays; INSERT ... SELECT converts them.
 */
import type { DuckDBType } from '@duckdb/node-api';
import { duckdb } from './duckdb-api.js';
import { EXPLORE_SQL } from '../../analyses/sql.js';

const { BOOLEAN, DOUBLE, INTEGER, VARCHAR } = duckdb;

export type ColumnKind = 'text' | 'json' | 'ts' | 'double' | 'int' | 'bool';

export interface TableSpec {
  name: 'decisions' | 'exposures' | 'candidates' | 'outcomes' | 'predictions' | 'labels';
  columns: Array<[string, ColumnKind]>;
  /** Tables whose rows are events with their own event_id (deduplicated); the others follow their decision. */
  keyed: boolean;
}

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
    columns: [
      ['project', 'text'], ['decision_id', 'text'], ['request_id', 'text'], ['ts', 'ts'], ['user_id', 'text'],
      ['surface', 'text'], ['policy', 'text'], ['policy_version', 'text'], ['strategy', 'text'], ['item_id', 'text'],
      ['position', 'int'], ['propensity', 'double'], ['score', 'double'], ['explored', 'bool'], ['n_shown', 'int'],
    ],
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

const stagingSqlType: Record<ColumnKind, string> = {
  text: 'VARCHAR', json: 'VARCHAR', ts: 'DOUBLE', double: 'DOUBLE', int: 'INTEGER', bool: 'BOOLEAN',
};
const chunkType: Record<ColumnKind, DuckDBType> = {
  text: VARCHAR, json: VARCHAR, ts: DOUBLE, double: DOUBLE, int: INTEGER, bool: BOOLEAN,
};

export const stagingName = (t: TableSpec) => `st_${t.name}`;

export function createStagingSql(t: TableSpec): string {
  return `CREATE TEMP TABLE IF NOT EXISTS ${stagingName(t)} (${t.columns.map(([c, k]) => `${c} ${stagingSqlType[k]}`).join(', ')})`;
}

/**
 * The key that ties an outcome to the exposure it is about, kept on both tables (migration 6): a 64-bit hash of
 * (request_id, item_id). Analyses join on it, a join on one integer instead of two texts, and then compare the texts of
 * the rows it matched (see OUTCOME_PAIR_MATCH in src/analyses/sql.ts), so a hash collision cannot give a false match.
 * DuckDB's hash() is not promised stable across versions: the store records a probe of it and rekeys when it changes
 * (DuckDbStore.ensureOutcomeKeys).
 */
export const OUTCOME_KEY_SQL = (requestId: string, itemId: string) => `hash(CAST(${requestId} AS VARCHAR), CAST(${itemId} AS VARCHAR))`;

/** Staged tables whose rows get outcome_key as they are inserted (insertFromStagingSql). */
export const KEYED_BY_OUTCOME = new Set<TableSpec['name']>(['exposures', 'outcomes']);

/**
 * The copy of exploration and holdout exposures (EXPLORE_SQL) kept beside `exposures` (migration 7). The reality
 * anchor is a few percent of the log; selecting it from `exposures` decodes nearly every block of the table's columns,
 * since nearly every block holds some of its rows (loop health's anchor on 10M exposures, 2% explored: 0.6 s from
 * `exposures`, 0.25 s from this table, reward join and conversion included). Written with every exposure, in the same
 * transaction.
 */
export const EXPLORED_EXPOSURES = 'explored_exposures';

/** Tables whose outcome_key the store keeps (see ensureOutcomeKeys). */
export const OUTCOME_KEYED_TABLES: readonly string[] = [...KEYED_BY_OUTCOME, EXPLORED_EXPOSURES];

export function insertFromStagingSql(t: TableSpec, into: string = t.name, where = ''): string {
  const cols = t.columns.map(([c]) => c);
  const exprs = t.columns.map(([c, k]) => (k === 'ts' ? `make_timestamp(CAST(${c} AS BIGINT))` : k === 'json' ? `CAST(${c} AS JSON)` : c));
  if (KEYED_BY_OUTCOME.has(t.name)) (cols.push('outcome_key'), exprs.push(OUTCOME_KEY_SQL('request_id', 'item_id')));
  return `INSERT INTO ${into} (${cols.join(', ')}) SELECT ${exprs.join(', ')} FROM ${stagingName(t)} e${where ? ` WHERE ${where}` : ''}`;
}

/** The staged exposures of exploration or holdout traffic into EXPLORED_EXPOSURES. */
export const insertExploredFromStagingSql = () => insertFromStagingSql(TABLES.exposures, EXPLORED_EXPOSURES, EXPLORE_SQL);

export function chunkTypes(t: TableSpec): DuckDBType[] {
  return t.columns.map(([, k]) => chunkType[k]);
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
