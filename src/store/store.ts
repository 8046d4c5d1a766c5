/**
 * The store interface every engine adapter implements (DuckDB now, ClickHouse later). Faces (server, CLI) talk to a
 * Store; analyses receive only its `query` function and keep their SQL to what both engines share.
 */
import path from 'node:path';
import type { ValidEvent } from '../events/validate.js';
import type { Queryable } from '../analyses/sql.js';

/** Where the embedded store lives unless --db or LOOPGUARD_DB says otherwise. */
export const DEFAULT_DB_PATH = path.join('.loopguard', 'loopguard.duckdb');

export interface WriteBatch {
  project: string;
  events: ValidEvent[];
}

export interface WriteCounts {
  stored: number;
  duplicates: number;
}

export type Row = Record<string, unknown>;

export interface ProjectStats {
  project: string;
  totals: { decision: number; exposure: number; outcome: number; prediction: number; label: number };
  by_day: Array<{ day: string; decision: number; exposure: number; outcome: number; prediction: number; label: number }>;
}

export const FILE_KINDS = ['exposures', 'outcomes', 'predictions', 'labels', 'decisions', 'events'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

export interface FileIngestOptions {
  project: string;
  path: string;
  kind: FileKind;
  /** canonical field -> source column. */
  map?: Record<string, string>;
  /** canonical field -> constant value for every row. */
  set?: Record<string, string>;
  /** Load the good rows and write the bad ones to `rejectsPath` instead of refusing the file. */
  skipBad?: boolean;
  rejectsPath?: string;
  onProgress?: (done: number, total: number, stage: string) => void;
}

export interface FileIngestResult {
  project: string;
  file: string;
  kind: FileKind;
  format: 'csv' | 'parquet' | 'jsonl';
  rows: number;
  stored: number;
  duplicates: number;
  rejected: number;
  rejects_file?: string;
  written: Record<string, number>;
  mapping: Record<string, string>;
}

export interface Store extends Queryable {
  /** Writes the batches in one transaction; resolves after commit with counts per batch. */
  writeEvents(batches: readonly WriteBatch[]): Promise<WriteCounts[]>;
  ingestFile(options: FileIngestOptions): Promise<FileIngestResult>;
  createApiKey(project: string): Promise<{ key: string; keyId: string }>;
  /** The project a key belongs to, or null for an unknown or revoked key. */
  projectForKey(key: string): Promise<string | null>;
  projectStats(project: string): Promise<ProjectStats>;
  addOfflineMetric(project: string, metric: { policy_version: string; metric: string; value: number; higher_is_better: boolean }): Promise<void>;
  close(): Promise<void>;
}

export { UserError } from '../errors.js';
