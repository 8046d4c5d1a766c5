/**
 * The embedded store: one DuckDB file (./.loopguard/loopguard.duckdb by default). Only one process may open it; that
 * process serializes writes through one connection and reads through two others, one for analyses and one for its own short reads.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { duckdb } from './duckdb-api.js';
import type { ValidEvent } from '../../events/validate.js';
import { EXPLORE_STRATEGIES, type Column, type SqlDialect } from '../../analyses/sql.js';
import {
  DEFAULT_DB_PATH,
  UserError,
  type FileIngestOptions,
  type FileIngestResult,
  type ProjectStats,
  type Row,
  type Store,
  type WriteBatch,
  type WriteCounts,
} from '../store.js';
import { StoreClosingError } from '../../errors.js';
import { MIGRATIONS } from './migrations.js';
import { checkRejectsFile, rejectsFileFor } from '../rejects.js';
import {
  ColumnBuffer,
  KEYED_BY_OUTCOME,
  OUTCOME_KEY_SQL,
  TABLES,
  chunkLayouts,
  chunkTypes,
  createStagingSql,
  insertFromStagingSql,
  stagingName,
  type TableSpec,
} from './tables.js';
import { isNumericType, readColumns, writeChunkColumn } from './columns.js';

/** Serializes async critical sections (the write connection is used by one job at a time). */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

function lockMessage(dbPath: string, raw: string): string {
  const pid = /PID (\d+)/.exec(raw)?.[1];
  return (
    `The store ${dbPath} is in use by another process${pid ? ` (PID ${pid})` : ''}. ` +
    `Stop that process, or pass another --db. While 'loopguard serve' holds a store, CLI commands reach it through the server.`
  );
}

export async function appendRows(conn: DuckDBConnection, table: string, spec: TableSpec, buf: ColumnBuffer): Promise<void> {
  if (buf.length === 0) return;
  const appender = await conn.createAppender(table);
  try {
    const types = chunkTypes(spec), layouts = chunkLayouts(spec);
    for (let start = 0; start < buf.length; start += 2048) {
      const end = Math.min(buf.length, start + 2048);
      const chunk = duckdb.DuckDBDataChunk.create(types, end - start);
      for (let c = 0; c < layouts.length; c++) writeChunkColumn(chunk, c, layouts[c]!, buf.columns[c]!, start, end);
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

export function hashKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

/**
 * Read connections: ANALYSIS serves query() and queryColumns(), so temporary tables and views an analysis creates
 * (drift's uploaded references, say) stay visible to its later statements, which they would not on another
 * connection; QUICK serves the store's own short reads (API key lookups, stats), so that they do not wait behind a
 * long analysis, since a connection runs one statement at a time. DuckDB's MVCC gives every statement a consistent
 * snapshot whichever connection runs it.
 */
const ANALYSIS = 0;
const QUICK = 1;

export class DuckDbStore implements Store {
  private readonly writeLock = new Mutex();
  private readonly keyCache = new Map<string, string>();
  /** Staging tables that may hold rows from the last flush (temp tables roll back with a failed transaction too). */
  private stagingFilled = new Set<string>(Object.keys(TABLES));

  /** After a rollback the staging tables hold whatever they held before it: empty them all next time. */
  forgetStaging(): void {
    this.stagingFilled = new Set(Object.keys(TABLES));
  }

  private constructor(
    readonly dbPath: string,
    private readonly instance: DuckDBInstance,
    readonly writeConn: DuckDBConnection,
    private readonly readConns: readonly DuckDBConnection[],
  ) {
    this.inFlight = new Array<number>(readConns.length).fill(0);
  }

  readonly dialect: SqlDialect = {
    day: (c) => `strftime(${c}, '%Y-%m-%d')`,
    week: (c) => `strftime(date_trunc('week', ${c}), '%Y-%m-%d')`,
    epochSeconds: (e) => `epoch(${e})`,
    hashKey: (t) => `CAST(hash(${t}) AS DOUBLE)`,
    argMin: (arg, value) => `arg_min(${arg}, ${value})`,
  };

  /** Opens (creating if needed) the store file; ':memory:' gives a throw-away store (analyses of --logs files). */
  static async open(dbPath: string = DEFAULT_DB_PATH): Promise<DuckDbStore> {
    const memory = dbPath === ':memory:';
    const resolved = memory ? dbPath : path.resolve(dbPath);
    if (!memory) fs.mkdirSync(path.dirname(resolved), { recursive: true });
    let instance: DuckDBInstance;
    try {
      // A large WAL before checkpointing keeps commits cheap under sustained ingest; DuckDB replays it on open.
      instance = await duckdb.DuckDBInstance.create(resolved, { checkpoint_threshold: '256MB' });
    } catch (err) {
      const msg = (err as Error).message;
      if (/Could not set lock|Conflicting lock/i.test(msg)) throw new UserError(lockMessage(resolved, msg));
      throw new UserError(`Could not open the store ${resolved}: ${msg}`);
    }
    const writeConn = await instance.connect();
    const readConns: DuckDBConnection[] = [];
    for (let i = 0; i <= QUICK; i++) readConns.push(await instance.connect());
    for (const c of [writeConn, ...readConns]) await c.run("SET TimeZone = 'UTC'");
    const store = new DuckDbStore(resolved, instance, writeConn, readConns);
    await store.migrate();
    await store.ensureOutcomeKeys();
    for (const t of Object.values(TABLES)) await writeConn.run(createStagingSql(t));
    return store;
  }

  private async migrate(): Promise<void> {
    const c = this.writeConn;
    await c.run(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)',
    );
    const rows = (await c.runAndReadAll('SELECT coalesce(max(version), 0) AS v FROM schema_migrations')).getRowObjectsJS();
    const current = Number(rows[0]?.v ?? 0);
    const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
    if (current > latest)
      throw new UserError(`The store ${this.dbPath} has schema version ${current}, newer than this Loopguard knows (${latest}); upgrade Loopguard.`);
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await c.run('BEGIN TRANSACTION');
      try {
        for (const s of m.statements) await c.run(s);
        await c.run('INSERT INTO schema_migrations VALUES ($1, $2, now()::TIMESTAMP)', [m.version, m.name]);
        await c.run('COMMIT');
      } catch (err) {
        await c.run('ROLLBACK');
        throw err;
      }
    }
  }

  /**
   * Fills outcome_key (OUTCOME_KEY_SQL) where it is missing, and everywhere when the engine's hash() is not the one the
   * keys were made with: store_settings keeps a probe, the hashes of a short and of a long text pair. After the update
   * of DuckDB that changed them, a store is rekeyed once, on open, in one transaction.
   */
  private async ensureOutcomeKeys(): Promise<void> {
    const c = this.writeConn;
    const probeSql = `SELECT CAST(${OUTCOME_KEY_SQL("'req-1'", "'item-1'")} AS VARCHAR) || ':' || CAST(${OUTCOME_KEY_SQL("repeat('r', 40)", "repeat('i', 40)")} AS VARCHAR) AS p`;
    const probe = String((await c.runAndReadAll(probeSql)).getRowObjectsJS()[0]!.p);
    const [kept] = (await c.runAndReadAll(`SELECT value FROM store_settings WHERE name = 'outcome_key_probe'`)).getRowObjectsJS();
    const all = kept?.value !== probe;
    await c.run('BEGIN TRANSACTION');
    try {
      for (const t of KEYED_BY_OUTCOME)
        await c.run(`UPDATE ${t} SET outcome_key = ${OUTCOME_KEY_SQL('request_id', 'item_id')}${all ? '' : ' WHERE outcome_key IS NULL'}`);
      if (all) {
        await c.run(`DELETE FROM store_settings WHERE name = 'outcome_key_probe'`);
        await c.run(`INSERT INTO store_settings VALUES ('outcome_key_probe', $1)`, [probe]);
      }
      await c.run('COMMIT');
    } catch (err) {
      await c.run('ROLLBACK');
      throw err;
    }
  }

  async writeEvents(batches: readonly WriteBatch[]): Promise<WriteCounts[]> {
    return this.writeLock.run(async () => {
      const c = this.writeConn;
      await c.run('BEGIN TRANSACTION');
      try {
        const counts = await this.writeEventsInTransaction(batches);
        await c.run('COMMIT');
        return counts;
      } catch (err) {
        await c.run('ROLLBACK').catch(() => undefined);
        this.forgetStaging();
        throw err;
      }
    });
  }

  /**
   * Stages the events, drops those already stored, inserts the rest. Caller holds the write lock and the transaction.
   *
   * Idempotency: an event is a duplicate when its (project, event_id) is repeated within the flush, or already stored
   * with a timestamp inside the flush's time range. Retries resend the same event, timestamp included, so the bounded
   * anti-join finds them, and it reads only the row groups whose zone maps overlap that range.
   */
  async writeEventsInTransaction(batches: readonly WriteBatch[]): Promise<WriteCounts[]> {
    const c = this.writeConn;
    const bufs = Object.fromEntries(Object.values(TABLES).map((t) => [t.name, new ColumnBuffer(t)])) as Record<
      TableSpec['name'],
      ColumnBuffer
    >;
    // The batch of each event's first copy in the flush, by table, project and event_id: later copies are duplicates
    // at once, and the first copy of one found stored already (below) is moved from its batch's stored count.
    const firstOf = new Map<string, number>();
    const counts: WriteCounts[] = batches.map(() => ({ stored: 0, duplicates: 0 }));
    let minTs = Infinity, maxTs = -Infinity;
    batches.forEach((b, bi) => {
      const tally = counts[bi]!;
      for (const v of b.events) {
        const seenKey = `${tableOf(v)}\u0000${b.project}\u0000${v.event.event_id}`;
        if (firstOf.has(seenKey)) {
          tally.duplicates++;
          continue;
        }
        firstOf.set(seenKey, bi);
        tally.stored++;
        if (v.tsMicros < minTs) minTs = v.tsMicros;
        if (v.tsMicros > maxTs) maxTs = v.tsMicros;
        stageEvent(bufs, b.project, v);
      }
    });
    for (const t of Object.values(TABLES)) {
      // Staging tables are emptied when used, so an empty one costs no statement.
      if (this.stagingFilled.has(t.name)) await c.run(`DELETE FROM ${stagingName(t)}`);
      this.stagingFilled.delete(t.name);
      if (bufs[t.name].length === 0) continue;
      this.stagingFilled.add(t.name);
      await appendRows(c, stagingName(t), t, bufs[t.name]);
    }
    if (firstOf.size) {
      for (const t of Object.values(TABLES)) {
        if (!t.keyed || bufs[t.name].length === 0) continue;
        const rows = (
          await c.runAndReadAll(
            `SELECT DISTINCT s.project, s.event_id FROM ${stagingName(t)} s JOIN ${t.name} e
               ON e.project = s.project AND e.event_id = s.event_id
             WHERE e.ts BETWEEN make_timestamp(CAST($1 AS BIGINT)) AND make_timestamp(CAST($2 AS BIGINT))`,
            [minTs, maxTs],
          )
        ).getRows();
        if (!rows.length) continue;
        const keys = rows.map((r) => `${String(r[0])}\u0000${String(r[1])}`);
        for (const k of keys) {
          const tally = counts[firstOf.get(`${t.name}\u0000${k}`)!]!;
          tally.stored--;
          tally.duplicates++;
        }
        const list = duckdb.listValue(keys);
        await c.run(`DELETE FROM ${stagingName(t)} WHERE project || chr(0) || event_id IN (SELECT unnest($1::VARCHAR[]))`, [list]);
        if (t.name === 'decisions')
          for (const dep of [TABLES.exposures, TABLES.explored_exposures, TABLES.candidates])
            await c.run(`DELETE FROM ${stagingName(dep)} WHERE project || chr(0) || decision_id IN (SELECT unnest($1::VARCHAR[]))`, [list]);
      }
      for (const t of Object.values(TABLES)) if (bufs[t.name].length) await c.run(insertFromStagingSql(t));
    }
    return counts;
  }

  /** Loads the file ingester (and the event schemas it validates with) on first use: analyses do not need them. */
  async ingestFile(options: FileIngestOptions): Promise<FileIngestResult> {
    if (options.skipBad) {
      // checked before the load, which writes the file only after the good rows are in (events: after the commit)
      const rejectsPath = rejectsFileFor(options.path, options.kind === 'events', options.rejectsPath);
      checkRejectsFile(options.path, rejectsPath);
      options = { ...options, rejectsPath };
    }
    return this.writeLock.run(async () => (await import('./ingest-file.js')).ingestFile(this, options));
  }

  async createApiKey(project: string): Promise<{ key: string; keyId: string }> {
    const keyId = crypto.randomBytes(4).toString('hex');
    const key = `lg_${keyId}_${crypto.randomBytes(24).toString('base64url')}`;
    await this.writeLock.run(() =>
      this.writeConn.run('INSERT INTO api_keys VALUES ($1, $2, $3, now()::TIMESTAMP, NULL)', [keyId, project, hashKey(key)]),
    );
    return { key, keyId };
  }

  async projectForKey(key: string): Promise<string | null> {
    const h = hashKey(key);
    const cached = this.keyCache.get(h);
    if (cached) return cached;
    const rows = await this.quickQuery('SELECT project FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL', [h]);
    const project = rows[0] ? String(rows[0].project) : null;
    if (project) this.keyCache.set(h, project);
    return project;
  }

  async addOfflineMetric(project: string, m: { policy_version: string; metric: string; value: number; higher_is_better: boolean }): Promise<void> {
    await this.writeLock.run(() =>
      this.writeConn.run('INSERT INTO offline_metrics VALUES ($1, $2, $3, $4, $5, now()::TIMESTAMP)', [
        project, m.policy_version, m.metric, m.value, m.higher_is_better,
      ]),
    );
  }

  async projectStats(project: string): Promise<ProjectStats> {
    const tables: Array<[keyof ProjectStats['totals'], string]> = [
      ['decision', 'decisions'], ['exposure', 'exposures'], ['outcome', 'outcomes'], ['prediction', 'predictions'], ['label', 'labels'],
    ];
    const sql = tables
      .map(([k, t]) => `SELECT '${k}' AS type, strftime(ts, '%Y-%m-%d') AS day, count(*) AS n FROM ${t} WHERE project = $1 GROUP BY day`)
      .join(' UNION ALL ');
    const rows = await this.quickQuery(sql, [project]);
    const totals = { decision: 0, exposure: 0, outcome: 0, prediction: 0, label: 0 };
    const days = new Map<string, ProjectStats['by_day'][number]>();
    for (const r of rows) {
      const type = r.type as keyof typeof totals, day = String(r.day), n = Number(r.n);
      totals[type] += n;
      let d = days.get(day);
      if (!d) days.set(day, (d = { day, decision: 0, exposure: 0, outcome: 0, prediction: 0, label: 0 }));
      d[type] += n;
    }
    return { project, totals, by_day: [...days.values()].sort((a, b) => a.day.localeCompare(b.day)) };
  }

  /** Reads under way; close() interrupts and awaits them, since closing a connection mid-query crashes. */
  private readonly reads = new Set<Promise<unknown>>();
  /** Reads under way per read connection. */
  private readonly inFlight: number[];
  private closing = false;

  /** A read on read connection k (ANALYSIS or QUICK). */
  private read(sql: string, params: readonly unknown[], k = ANALYSIS) {
    return this.tracked(() => this.readConns[k]!.runAndReadAll(sql, params as DuckDBValue[]), k);
  }

  /** A read on connection k, counted so that stopReads() can interrupt it and wait for it. */
  private tracked<T>(start: () => Promise<T>, k: number): Promise<T> {
    if (this.closing) return Promise.reject(new StoreClosingError());
    this.inFlight[k]!++;
    const p = start();
    this.reads.add(p);
    const done = () => {
      this.reads.delete(p);
      this.inFlight[k]!--;
    };
    void p.then(done, done);
    return p;
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return this.rowsOf(await this.read(sql, params));
  }

  /** query() on the QUICK connection, for the store's own short reads. */
  private async quickQuery(sql: string, params: readonly unknown[]): Promise<Row[]> {
    return this.rowsOf(await this.read(sql, params, QUICK));
  }

  private rowsOf(reader: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>): Row[] {
    const rows = reader.getRowObjectsJS() as Row[];
    // Counts and sums come back as BIGINT/HUGEINT; analyses want plain numbers.
    for (const r of rows) for (const k in r) if (typeof r[k] === 'bigint') r[k] = Number(r[k]);
    return rows;
  }

  /** A further connection to the same database, for a component that keeps its own transactions (profiles). */
  async connect(): Promise<DuckDBConnection> {
    const c = await this.instance.connect();
    await c.run("SET TimeZone = 'UTC'");
    return c;
  }

  /**
   * Columns straight from DuckDB's vectors (readColumns) when every column is numeric or VARCHAR, which is what the
   * analyses' per-round queries select; through the library's converter otherwise.
   */
  async queryColumns(sql: string, params: readonly unknown[] = []): Promise<Record<string, Column>> {
    const { result, fast } = await this.tracked(async () => {
      const result = await this.readConns[ANALYSIS]!.run(sql, params as DuckDBValue[]);
      return { result, fast: await readColumns(result) };
    }, ANALYSIS);
    if (fast) return fast;
    // readColumns fetched nothing: the library reads the same (materialized) result.
    const reader = new duckdb.DuckDBResultReader(result);
    await reader.readAll();
    const names = reader.columnNames();
    const types = reader.columnTypes();
    const out: Record<string, Column> = {};
    const cols = reader.getColumnsJS();
    names.forEach((name, i) => {
      const values = cols[i] ?? []; // no rows: no column arrays at all
      const t = types[i]!.typeId;
      if (isNumericType(t)) {
        const a = new Float64Array(values.length);
        for (let j = 0; j < values.length; j++) {
          const v = values[j];
          a[j] = v === null ? NaN : typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
        }
        out[name] = a;
      } else out[name] = values.map((v) => (v === null ? null : String(v)));
    });
    return out;
  }

  /**
   * Stops reads: those under way are interrupted (their callers get an error) and new ones are refused, while writes
   * still go through. A server that is stopping calls it first, so that it does not wait for a long analysis to finish
   * before it can commit the batches in flight and close.
   */
  async stopReads(): Promise<void> {
    this.closing = true;
    if (this.reads.size) {
      this.readConns.forEach((c, i) => {
        if (this.inFlight[i]! > 0) c.interrupt();
      });
      await Promise.allSettled([...this.reads]);
    }
  }

  async close(): Promise<void> {
    // An analysis still reading (a dashboard prewarm, say) is stopped: its caller gets an error, not a crash.
    await this.stopReads();
    await this.writeLock.run(async () => {
      for (const c of this.readConns) c.closeSync();
      this.writeConn.closeSync();
      this.instance.closeSync();
    });
  }
}

function tableOf(v: ValidEvent): TableSpec['name'] {
  return v.type === 'decision' ? 'decisions' : v.type === 'outcome' ? 'outcomes' : v.type === 'prediction' ? 'predictions' : 'labels';
}

function stageEvent(bufs: Record<TableSpec['name'], ColumnBuffer>, project: string, v: ValidEvent): void {
  const ts = v.tsMicros;
  switch (v.type) {
    case 'decision': {
      const e = v.event;
      bufs.decisions.push([
        project, e.event_id, ts, e.request_id, e.user_id, e.session_id ?? null, e.surface, e.policy, e.policy_version,
        e.strategy, e.attributes ? JSON.stringify(e.attributes) : null, e.shown.length, e.candidates ? e.candidates.length : null,
      ]);
      // The decision's own fields reach the exposures from its staged row (TABLES.exposures.fromDecision); the
      // exploration and holdout rows (EXPLORE_SQL) are staged for explored_exposures as well.
      const exploring = EXPLORE_STRATEGIES.has(e.strategy);
      for (const s of e.shown) {
        const row = [project, e.event_id, s.item_id, s.position, s.propensity, s.score ?? null, s.explored];
        bufs.exposures.push(row);
        if (exploring || s.explored)
          bufs.explored_exposures.push([...row, e.request_id, ts, e.user_id, e.surface, e.policy, e.policy_version, e.strategy, e.shown.length]);
      }
      if (e.candidates) for (const item of e.candidates) bufs.candidates.push([project, e.event_id, ts, item]);
      return;
    }
    case 'outcome': {
      const e = v.event;
      bufs.outcomes.push([project, e.event_id, ts, e.request_id, e.item_id ?? null, e.kind, e.value]);
      return;
    }
    case 'prediction': {
      const e = v.event;
      bufs.predictions.push([
        project, e.event_id, ts, e.request_id, e.model_version, e.attributes ? JSON.stringify(e.attributes) : null,
        e.score ?? null, e.probabilities ? JSON.stringify(e.probabilities) : null, e.predicted_label ?? null,
      ]);
      return;
    }
    case 'label': {
      const e = v.event;
      bufs.labels.push([project, e.event_id, ts, e.request_id, String(e.label), e.source, e.annotator_id ?? null]);
      return;
    }
  }
}
