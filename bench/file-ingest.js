/**
 * File ingest benchmark: a 1,000,000-row Parquet file of exposures made by DuckDB, loaded with
 * `loopguard ingest x.parquet --kind exposures` into a fresh store; process wall time, 3 runs, median reported.
 * For information, DuckDbStore.ingestFile alone (in this process, store opened beforehand, no process start) is
 * timed as well, with a per-statement breakdown.
 *
 * Standalone: node bench/file-ingest.js [--rows 1000000] [--runs 3]
 * Needs `npm run build` first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { BIN, fmtInt, fmtMs, isMain, log, median, runNode, table, tmpDir } from './lib.js';
import { instrument } from './instrument.js';

export async function makeParquet(file, rows) {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run("SET TimeZone = 'UTC'");
    // ts spread over the last `rows` milliseconds; position 1..3; propensity in (0, 1]; 10% clicks.
    await conn.run(`
      COPY (
        SELECT CAST(now() AS TIMESTAMP) - to_milliseconds(${rows} - i)              AS ts,
               'item_' || CAST(hash(i) % 5000 AS VARCHAR)                             AS item_id,
               CAST(i % 3 + 1 AS INTEGER)                                             AS position,
               CAST(hash(i * 31 + 1) % 1000 + 1 AS DOUBLE) / 1000                     AS propensity,
               CAST(CASE WHEN hash(i * 7 + 3) % 10 = 0 THEN 1 ELSE 0 END AS INTEGER) AS click,
               'user_' || CAST(hash(i * 13 + 5) % 100000 AS VARCHAR)                  AS user_id,
               'v' || CAST(1 + i % 2 AS VARCHAR)                                      AS policy_version
        FROM range(${rows}) t(i)
      ) TO '${file.replace(/'/g, "''")}' (FORMAT parquet)`);
    const check = (await conn.runAndReadAll(`SELECT count(*), min(propensity), max(propensity), sum(click) FROM read_parquet('${file.replace(/'/g, "''")}')`)).getRows()[0];
    return { rows: Number(check[0]), min_propensity: Number(check[1]), max_propensity: Number(check[2]), clicks: Number(check[3]) };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function checkResult(r, rows, clicks) {
  const ok =
    r.rows === rows && r.stored === rows && r.rejected === 0 && r.duplicates === 0 &&
    r.written?.decisions === rows && r.written?.exposures === rows && r.written?.outcomes === clicks;
  if (!ok) throw new Error(`unexpected ingest result (expected ${rows} rows stored, ${clicks} outcomes): ${JSON.stringify(r).slice(0, 800)}`);
}

export async function runFileBench(options = {}) {
  const rows = options.rows ?? 1_000_000;
  const runs = options.runs ?? 3;
  const dir = tmpDir('file');
  try {
    const file = path.join(dir, 'x.parquet');
    let t = performance.now();
    const gen = await makeParquet(file, rows);
    const size = fs.statSync(file).size;
    log(`file: wrote ${fmtInt(gen.rows)} rows to ${file} (${(size / 1e6).toFixed(1)} MB) in ${fmtMs(performance.now() - t)} ms`);

    // End to end: a new process per run, fresh store each time.
    const cli = [];
    for (let i = 0; i < runs; i++) {
      const db = path.join(dir, `cli-${i}.duckdb`);
      const r = await runNode([BIN, 'ingest', file, '--kind', 'exposures', '--project', 'bench', '--db', db, '--format', 'json']);
      const result = JSON.parse(r.stdout);
      checkResult(result, rows, gen.clicks);
      cli.push({ ms: r.ms, rows_per_s: rows / (r.ms / 1000) });
      log(`file: CLI run ${i + 1}: ${fmtMs(r.ms)} ms, ${fmtInt(rows / (r.ms / 1000))} rows/s`);
      fs.rmSync(db, { force: true });
      fs.rmSync(`${db}.wal`, { force: true });
    }

    // Process start alone: the same CLI doing (almost) nothing.
    const starts = [];
    for (let i = 0; i < runs; i++) starts.push((await runNode([BIN, '--version'])).ms);

    // In-process: DuckDbStore.ingestFile only (store already open), with a per-statement breakdown.
    const { DuckDbStore } = await import('../dist/store/duckdb/store.js');
    const inproc = [];
    const opens = [], closes = [];
    let breakdown = null;
    for (let i = 0; i < runs; i++) {
      const db = path.join(dir, `inproc-${i}.duckdb`);
      let to = performance.now();
      const store = await DuckDbStore.open(db);
      opens.push(performance.now() - to);
      const stats = new Map();
      instrument(store.writeConn, stats, (sql) => sql.replace(/\s+/g, ' ').trim().slice(0, 90));
      const stages = [];
      let stageStart = performance.now();
      let stage = 'start';
      t = performance.now();
      let result;
      try {
        result = await store.ingestFile({
          project: 'bench', path: file, kind: 'exposures', map: {}, set: {},
          onProgress: (_d, _n, s) => {
            const now = performance.now();
            stages.push({ stage, ms: now - stageStart });
            stage = s;
            stageStart = now;
          },
        });
      } catch (err) {
        await store.close();
        throw err;
      }
      const ms = performance.now() - t;
      to = performance.now();
      await store.close();
      closes.push(performance.now() - to);
      checkResult(result, rows, gen.clicks);
      inproc.push({ ms, rows_per_s: rows / (ms / 1000) });
      log(`file: in-process ingestFile run ${i + 1}: ${fmtMs(ms)} ms, ${fmtInt(rows / (ms / 1000))} rows/s`);
      const sqlMs = [...stats.values()].reduce((s, x) => s + x.ms, 0);
      if (i === runs - 1)
        breakdown = {
          stages: stages.filter((s) => s.stage !== 'start'),
          statements: [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([label, s]) => ({ label, calls: s.calls, ms: s.ms })),
          outside_sql_ms: ms - sqlMs,
        };
      fs.rmSync(db, { force: true });
      fs.rmSync(`${db}.wal`, { force: true });
    }

    const cliMedian = median(cli.map((r) => r.ms));
    const inMedian = median(inproc.map((r) => r.ms));
    return {
      rows,
      parquet_bytes: size,
      cli_runs: cli,
      cli_median_ms: cliMedian,
      cli_rows_per_s: rows / (cliMedian / 1000),
      process_start_median_ms: median(starts),
      inprocess_runs: inproc,
      inprocess_median_ms: inMedian,
      inprocess_rows_per_s: rows / (inMedian / 1000),
      store_open_fresh_median_ms: median(opens),
      store_close_median_ms: median(closes),
      breakdown,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function printFile(r) {
  const head = table(
    ['what', 'median ms', 'rows/s', 'runs (ms)'],
    [
      ['loopguard ingest (process wall time)', fmtMs(r.cli_median_ms), fmtInt(r.cli_rows_per_s), r.cli_runs.map((x) => fmtMs(x.ms)).join(' / ')],
      ['DuckDbStore.ingestFile in-process', fmtMs(r.inprocess_median_ms), fmtInt(r.inprocess_rows_per_s), r.inprocess_runs.map((x) => fmtMs(x.ms)).join(' / ')],
      ['process start (loopguard --version)', fmtMs(r.process_start_median_ms), '', ''],
      ['DuckDbStore.open of a fresh store (migrations)', fmtMs(r.store_open_fresh_median_ms), '', ''],
      ['DuckDbStore.close after the ingest (checkpoint)', fmtMs(r.store_close_median_ms), '', ''],
    ],
  );
  const b = r.breakdown;
  if (!b) return head;
  const stmts = table(
    ['ingestFile: statement (last in-process run)', 'calls', 'ms'],
    [...b.statements.filter((s) => s.ms >= 1).map((s) => [s.label, String(s.calls), fmtMs(s.ms)]), ['(outside SQL: sha256 of the file, JS)', '', fmtMs(b.outside_sql_ms)]],
  );
  return `${head}\n\n${stmts}`;
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { rows: { type: 'string' }, runs: { type: 'string' } } });
  const r = await runFileBench({ rows: values.rows ? Number(values.rows) : undefined, runs: values.runs ? Number(values.runs) : undefined });
  console.log(printFile(r));
}
