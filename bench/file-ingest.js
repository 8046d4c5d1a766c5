/**
 * File ingest benchmark: a 1,000,000-row Parquet file of exposures made by DuckDB, loaded with
 * `loopguard ingest x.parquet --kind exposures` into a fresh store; process wall time, 3 runs, median reported, with
 * the process's CPU time and peak RSS (from /usr/bin/time when installed).
 * For information, DuckDbStore.ingestFile alone (in this process, store opened beforehand, no process start) is
 * timed as well (wall and CPU time of this process, DuckDB's threads included), with a per-statement breakdown.
 *
 * Standalone: node bench/file-ingest.js [--rows 1000000] [--runs 3] [--baseline DIR]
 * Needs `npm run build` first. --baseline DIR runs another build side by side (DIR holds its bin/loopguard.js and
 * dist/, e.g. a copy of both made before a change), alternating runs so both see the same machine load, and
 * reports the ratios.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { BIN, ROOT, fmtInt, fmtMs, isMain, log, median, runCommand, runNode, table, tmpDir } from './lib.js';
import { instrument } from './instrument.js';

const TIME = '/usr/bin/time';

/** `node <bin> <args>` with wall time, and with CPU seconds and peak RSS when /usr/bin/time is there. */
async function runCli(bin, args) {
  if (!fs.existsSync(TIME)) return runNode([bin, ...args]).then((r) => ({ ...r, cpu_ms: null, rss_mb: null }));
  const r = await runCommand(TIME, ['-f', 'LGTIME %U %S %M', process.execPath, bin, ...args], { allowFailure: true });
  const m = /LGTIME ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(r.stderr);
  if (r.code !== 0 || !m) throw new Error(`node ${bin} ${args.join(' ')} exited with ${r.code}:\n${r.stderr}`);
  return { ms: r.ms, stdout: r.stdout, cpu_ms: (Number(m[1]) + Number(m[2])) * 1000, rss_mb: Number(m[3]) / 1024 };
}

/** One DuckDbStore.ingestFile of `file` into a fresh store `db`, with this process's wall and CPU time. */
async function ingestInProcess(DuckDbStore, db, file, stats) {
  let t = performance.now();
  const store = await DuckDbStore.open(db);
  const open_ms = performance.now() - t;
  if (stats) instrument(store.writeConn, stats, (sql) => sql.replace(/\s+/g, ' ').trim().slice(0, 90));
  const stages = [];
  let stageStart = performance.now();
  let stage = 'start';
  t = performance.now();
  const cpu = process.cpuUsage();
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
  const used = process.cpuUsage(cpu);
  t = performance.now();
  await store.close();
  const close_ms = performance.now() - t;
  fs.rmSync(db, { force: true });
  fs.rmSync(`${db}.wal`, { force: true });
  return { result, ms, cpu_ms: (used.user + used.system) / 1000, open_ms, close_ms, stages };
}

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

    const baseline = options.baseline ? path.resolve(options.baseline) : null;
    const builds = [{ name: 'current', bin: BIN, dist: path.join(ROOT, 'dist') }];
    if (baseline) builds.push({ name: 'baseline', bin: path.join(baseline, 'bin', 'loopguard.js'), dist: path.join(baseline, 'dist') });
    const stores = {};
    for (const b of builds) stores[b.name] = (await import(pathToFileURL(path.join(b.dist, 'store', 'duckdb', 'store.js')).href)).DuckDbStore;
    const load_before = os.loadavg();
    // Runs alternate between the builds (and which goes first), so that both meet the same load.
    const order = (i) => (i % 2 ? [...builds].reverse() : builds);

    // End to end: a new process per run, fresh store each time.
    const cliBy = Object.fromEntries(builds.map((b) => [b.name, []]));
    for (let i = 0; i < runs; i++)
      for (const b of order(i)) {
        const db = path.join(dir, `cli-${b.name}-${i}.duckdb`);
        const r = await runCli(b.bin, ['ingest', file, '--kind', 'exposures', '--project', 'bench', '--db', db, '--format', 'json']);
        checkResult(JSON.parse(r.stdout), rows, gen.clicks);
        cliBy[b.name].push({ ms: r.ms, rows_per_s: rows / (r.ms / 1000), cpu_ms: r.cpu_ms, rss_mb: r.rss_mb });
        log(`file: ${b.name} CLI run ${i + 1}: ${fmtMs(r.ms)} ms, ${fmtInt(rows / (r.ms / 1000))} rows/s${r.cpu_ms === null ? '' : `, CPU ${fmtMs(r.cpu_ms)} ms, peak RSS ${fmtInt(r.rss_mb)} MB`}`);
        fs.rmSync(db, { force: true });
        fs.rmSync(`${db}.wal`, { force: true });
      }
    const cli = cliBy.current;

    // Process start alone: the same CLI doing (almost) nothing.
    const starts = [];
    for (let i = 0; i < runs; i++) starts.push((await runNode([BIN, '--version'])).ms);

    // In-process: DuckDbStore.ingestFile only (store already open), with a per-statement breakdown of the current build.
    const inBy = Object.fromEntries(builds.map((b) => [b.name, []]));
    const opens = [], closes = [];
    let breakdown = null;
    for (let i = 0; i < runs; i++)
      for (const b of order(i)) {
        const stats = b.name === 'current' && i === runs - 1 ? new Map() : null;
        const r = await ingestInProcess(stores[b.name], path.join(dir, `inproc-${b.name}-${i}.duckdb`), file, stats);
        checkResult(r.result, rows, gen.clicks);
        inBy[b.name].push({ ms: r.ms, rows_per_s: rows / (r.ms / 1000), cpu_ms: r.cpu_ms });
        log(`file: ${b.name} in-process ingestFile run ${i + 1}: ${fmtMs(r.ms)} ms, ${fmtInt(rows / (r.ms / 1000))} rows/s, CPU ${fmtMs(r.cpu_ms)} ms`);
        if (b.name !== 'current') continue;
        opens.push(r.open_ms);
        closes.push(r.close_ms);
        if (stats) {
          const sqlMs = [...stats.values()].reduce((sum, x) => sum + x.ms, 0);
          breakdown = {
            stages: r.stages.filter((x) => x.stage !== 'start'),
            statements: [...stats.entries()].sort((a, b2) => b2[1].ms - a[1].ms).map(([label, x]) => ({ label, calls: x.calls, ms: x.ms })),
            outside_sql_ms: r.ms - sqlMs,
          };
        }
      }
    const inproc = inBy.current;
    const load_after = os.loadavg();
    const summary = (runsOf) => ({
      median_ms: median(runsOf.map((r) => r.ms)),
      rows_per_s: rows / (median(runsOf.map((r) => r.ms)) / 1000),
      cpu_median_ms: runsOf[0]?.cpu_ms == null ? null : median(runsOf.map((r) => r.cpu_ms)),
      peak_rss_mb: runsOf[0]?.rss_mb == null ? null : Math.max(...runsOf.map((r) => r.rss_mb ?? 0)),
    });
    const comparison = baseline
      ? {
          baseline,
          cli: { current: summary(cliBy.current), baseline: summary(cliBy.baseline), runs: cliBy },
          inprocess: { current: summary(inBy.current), baseline: summary(inBy.baseline), runs: inBy },
        }
      : null;

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
      cli_cpu_median_ms: summary(cli).cpu_median_ms,
      cli_peak_rss_mb: summary(cli).peak_rss_mb,
      inprocess_cpu_median_ms: summary(inproc).cpu_median_ms,
      load_before,
      load_after,
      comparison,
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
      ...(r.cli_cpu_median_ms == null ? [] : [['  its CPU time (user + system), median', fmtMs(r.cli_cpu_median_ms), '', `peak RSS ${fmtInt(r.cli_peak_rss_mb)} MB`]]),
      ['DuckDbStore.ingestFile in-process', fmtMs(r.inprocess_median_ms), fmtInt(r.inprocess_rows_per_s), r.inprocess_runs.map((x) => fmtMs(x.ms)).join(' / ')],
      ['  its CPU time (all threads), median', fmtMs(r.inprocess_cpu_median_ms), '', r.inprocess_runs.map((x) => fmtMs(x.cpu_ms)).join(' / ')],
      ['process start (loopguard --version)', fmtMs(r.process_start_median_ms), '', ''],
      ['DuckDbStore.open of a fresh store (migrations)', fmtMs(r.store_open_fresh_median_ms), '', ''],
      ['DuckDbStore.close after the ingest (checkpoint)', fmtMs(r.store_close_median_ms), '', ''],
    ],
  );
  const load = `load average (1, 5, 15 min) before ${(r.load_before ?? []).map((x) => x.toFixed(2)).join(' ')}, after ${(r.load_after ?? []).map((x) => x.toFixed(2)).join(' ')}`;
  let cmp = '';
  if (r.comparison) {
    const c = r.comparison;
    const line = (what, k) => [
      what,
      fmtMs(c[k].baseline.median_ms),
      fmtMs(c[k].current.median_ms),
      (c[k].baseline.median_ms / c[k].current.median_ms).toFixed(2),
      c[k].current.cpu_median_ms == null ? '' : `${fmtMs(c[k].baseline.cpu_median_ms)} -> ${fmtMs(c[k].current.cpu_median_ms)} (${(c[k].baseline.cpu_median_ms / c[k].current.cpu_median_ms).toFixed(2)}x)`,
    ];
    cmp = `\n\nagainst the baseline ${c.baseline} (runs alternated)\n${table(
      ['what', 'baseline ms', 'current ms', 'speed-up', 'CPU ms (baseline -> current)'],
      [line('loopguard ingest (process wall time)', 'cli'), line('DuckDbStore.ingestFile in-process', 'inprocess')],
    )}`;
    if (c.cli.current.peak_rss_mb != null) cmp += `\npeak RSS of the CLI: baseline ${fmtInt(c.cli.baseline.peak_rss_mb)} MB, current ${fmtInt(c.cli.current.peak_rss_mb)} MB`;
  }
  const b = r.breakdown;
  if (!b) return `${head}\n${load}${cmp}`;
  const stmts = table(
    ['ingestFile: statement (last in-process run)', 'calls', 'ms'],
    [...b.statements.filter((s) => s.ms >= 1).map((s) => [s.label, String(s.calls), fmtMs(s.ms)]), ['(outside SQL: sha256 of the file, JS)', '', fmtMs(b.outside_sql_ms)]],
  );
  return `${head}\n${load}${cmp}\n\n${stmts}`;
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { rows: { type: 'string' }, runs: { type: 'string' }, baseline: { type: 'string' } } });
  const r = await runFileBench({ rows: values.rows ? Number(values.rows) : undefined, runs: values.runs ? Number(values.runs) : undefined, baseline: values.baseline });
  console.log(printFile(r));
}
