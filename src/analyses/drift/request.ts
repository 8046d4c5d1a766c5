/**
 * One drift request, whatever its sides are made of: a file (CLI only), rows sent over HTTP, or a window of a project's
 * decisions in the store. The CLI and the API both build a DriftRequest and call runDrift; only they differ in how
 * the request arrives.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { UserError } from '../../errors.js';
import type { Result } from '../result.js';
import type { Queryable } from '../sql.js';
import { drift, driftMonitor, type DriftSource } from './analyze.js';
import type { DomainClassifierOptions } from './domain-classifier.js';
import { qi } from './profile.js';
import { attributeColumns, countRows, loadFile, parseRange, parseTime, windowRelation, type TimeRange } from './sources.js';

/** One side of a comparison. Exactly one field. */
export interface SideSpec {
  file?: string;
  rows?: Array<Record<string, unknown>>;
  /** 'START/END' over the project's decisions. */
  window?: string;
}

export interface DriftRequest {
  project?: string;
  reference: SideSpec;
  /** Absent in monitoring mode (window set). */
  current?: SideSpec;
  /** Monitoring: drift per day or week of the project's decisions in [since, until). */
  window?: 'day' | 'week';
  since?: string;
  until?: string;
  columns?: string[];
  tests?: Record<string, string>;
  thresholds?: Record<string, number>;
  columnThresholds?: Record<string, number>;
  domainClassifier?: false | DomainClassifierOptions;
}

/** Temporary tables and files a request created; dropped afterwards. */
class Scratch {
  readonly tables: string[] = [];
  readonly files: string[] = [];
  name(prefix: string): string {
    const t = `lg_${prefix}_${crypto.randomBytes(6).toString('hex')}`;
    this.tables.push(t);
    return t;
  }
  async cleanup(db: Queryable): Promise<void> {
    for (const t of this.tables) {
      await db.query(`DROP VIEW IF EXISTS ${qi(t)}`).catch(() => undefined);
      await db.query(`DROP TABLE IF EXISTS ${qi(t)}`).catch(() => undefined);
    }
    for (const f of this.files) fs.rmSync(f, { force: true });
  }
}

/** Loads JSON rows into a temporary table (through a temporary NDJSON file read by DuckDB). */
export async function loadRows(db: Queryable, rows: Array<Record<string, unknown>>, table: string, label: string, scratch?: { files: string[] }): Promise<DriftSource> {
  if (!Array.isArray(rows) || rows.length === 0) throw new UserError(`${label}: no rows were given`);
  const file = path.join(os.tmpdir(), `${table}.ndjson`);
  scratch?.files.push(file);
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  try {
    const loaded = await loadFile(db, file, table, label);
    return { ...loaded, relation: { ...loaded.relation, from: qi(table), label } };
  } finally {
    if (!scratch) fs.rmSync(file, { force: true });
  }
}

function oneOf(name: string, s: SideSpec): 'file' | 'rows' | 'window' {
  const given = (['file', 'rows', 'window'] as const).filter((k) => s[k] !== undefined);
  if (given.length !== 1) throw new UserError(`the ${name} must be exactly one of a file, rows or a store window`);
  return given[0]!;
}

async function side(db: Queryable, name: string, s: SideSpec, project: string | undefined, scratch: Scratch): Promise<{ source: DriftSource; range?: TimeRange }> {
  const kind = oneOf(name, s);
  if (kind === 'file') return { source: await loadFile(db, s.file!, scratch.name(name), `--${name}`) };
  if (kind === 'rows') return { source: await loadRows(db, s.rows!, scratch.name(name), `${name} rows`, scratch) };
  if (!project) throw new UserError(`a ${name} window needs a project`);
  const range = parseRange(`${name} window`, s.window!);
  const { columns, skipped } = await attributeColumns(db, project, range);
  const relation = windowRelation(project, range, columns, `${project} ${range.start.slice(0, 10)}..${range.end.slice(0, 10)}`);
  const rows = await countRows(db, relation);
  if (rows === 0) {
    if ((await countRows(db, windowRelation(project, null, [], project))) === 0)
      throw new UserError(`project ${project} has no decisions; check the project name (drift compares decision attributes)`);
    throw new UserError(`project ${project} has no decisions in the ${name} window ${s.window}; choose a window with traffic`);
  }
  if (!columns.length && !Object.keys(skipped).length)
    throw new UserError(`project ${project} has ${rows} decisions in the ${name} window ${s.window} but none with attributes; drift compares decision attributes`);
  return { source: { relation, columns, skipped, rows }, range };
}

export async function runDrift(db: Queryable, r: DriftRequest): Promise<Result> {
  const scratch = new Scratch();
  try {
    const ref = await side(db, 'reference', r.reference, r.project, scratch);
    const common = {
      ...(r.columns?.length ? { columns: r.columns } : {}),
      ...(r.tests ? { tests: r.tests } : {}),
      ...(r.thresholds ? { thresholds: r.thresholds } : {}),
      ...(r.columnThresholds ? { columnThresholds: r.columnThresholds } : {}),
    };
    if (r.window) {
      if (r.current) throw new UserError('monitoring by day or week compares the project\'s decisions with the reference; give no current side');
      if (!r.project) throw new UserError('monitoring by day or week needs a project');
      const since = r.since ? parseTime('since', r.since) : undefined;
      const until = r.until ? parseTime('until', r.until) : undefined;
      if (since && until && !(since < until)) throw new UserError(`since ${r.since} is ${since === until ? 'the same time as' : 'after'} until ${r.until}; the monitored range is [since, until)`);
      const range: TimeRange | null = since || until ? { start: since ?? '0001-01-01 00:00:00', end: until ?? '9999-12-31 00:00:00' } : null;
      const { columns, skipped } = await attributeColumns(db, r.project, range ?? undefined);
      if (!columns.length) throw new UserError(`project ${r.project} has no decisions with attributes${range ? ' in that range' : ''}; drift monitoring compares decision attributes`);
      return await driftMonitor(db, {
        reference: ref.source,
        current: { relation: windowRelation(r.project, range, columns, `${r.project} decisions`), columns, skipped },
        window: r.window,
        ...common,
        inputs: { project: r.project, since: r.since, until: r.until },
      });
    }
    if (!r.current) throw new UserError('give a current side (a file or a window), or --window day|week to monitor');
    const cur = await side(db, 'current', r.current, r.project, scratch);
    return await drift(db, {
      reference: ref.source,
      current: cur.source,
      ...common,
      ...(r.domainClassifier !== undefined ? { domainClassifier: r.domainClassifier } : {}),
      ...(r.project ? { inputs: { project: r.project } } : {}),
    });
  } finally {
    await scratch.cleanup(db);
  }
}
