/**
 * Loop-health benchmark (the loop-health issue): `loopguard loop-health` over 10M generated exposure rows
 * (1,000 items with Zipf-like popularity, 20 policy versions of 3 days each, 60 days), side by side with a
 * pandas/numpy script (bench/loop_health_baseline.py) computing the same per-version metrics from the same data.
 * Targets: at least 5x faster than pandas in the same run, under 1 GB peak memory.
 *
 * node bench/loop-health.js [--rows N] [--runs 3] [--pandas-runs 3] [--regen] [--strict] [--data-dir DIR] [--profile]
 *   --rows        exposure rows to generate (default 10,000,000)
 *   --runs        timed runs of `loopguard loop-health` (median reported; default 3)
 *   --pandas-runs timed runs of the pandas baseline (median reported; default 3); the runs alternate, loopguard then
 *                 pandas, so both see the same load; the 1-minute load average before each run and the CPU steal
 *                 during it are recorded
 *   --profile     instead: loop-health in this process, --runs times, every SQL statement and the JS between them timed
 *   --regen       regenerate the data even when a matching copy is cached in the data dir
 *   --strict      exit 1 when a target is missed (a metric disagreement always exits 1)
 *   --data-dir    where the Parquet file, the CSV copy and the store go (default bench/out/loop-health-data)
 *
 * Needs `npx tsc -p tsconfig.build.json` first (it uses dist/ and bin/loopguard.js). Plain Node ESM; node built-ins,
 * @duckdb/node-api and the project's dist/ only. Writes bench/out/loop-health.json.
 *
 * Data: generated with DuckDB SQL, deterministically (uniforms come from hash(row, stream) rather than random(), so
 * the data does not depend on thread scheduling). Decisions of 3 shown items (positions 1..3), ~3.33M of them spread
 * evenly over 60 days; policy_version v01..v20, each a contiguous 3-day span. 2% of decisions are exploration (items
 * uniform over the catalog, explored = true, strategy 'exploration'); the rest are 'personalized' and draw items by
 * inverse CDF (ASOF join on cumulative weights) from a Zipf law whose exponent drifts 1.00 -> 1.19 across versions
 * (mean ~1.1), i.e. a rich-get-richer loop the analysis should see. Items within a decision are distinct. Clicks on
 * ~3% of exposures (3.6% / 3.0% / 2.4% by position); each becomes one 'click' outcome joined by request_id, item_id.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { cpuTicks, stealShare } from './lib.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'loopguard.js');
const OUT_DIR = path.join(ROOT, 'bench', 'out');
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

export const TARGETS = { speedup_vs_pandas: 5, peak_rss_bytes: 1024 ** 3 };

const ITEMS = 1000;
const VERSIONS = 20;
const DAYS = 60;
const PER_DECISION = 3;
const START = '2026-01-01 00:00:00';
const PROJECT = 'bench';
/** Tolerance of the metric comparison with the baseline (absolute, on shares and coefficients). */
const TOL = 1e-9;
/** Metrics per version that must agree (the issue's acceptance: gini, entropy, top-5 share), then the others checked. */
const REQUIRED = ['gini', 'entropy_norm', 'top5_share'];
const PER_VERSION = [
  'exposures', 'items_exposed', 'coverage', 'gini', 'entropy_norm', 'top1_share', 'top5_share', 'top10_share', 'tail_share',
  'outcome_rate', 'exploration_share', 'explore_rate', 'exploit_rate',
];
const PER_PAIR = ['delta_gini', 'delta_entropy_norm', 'delta_coverage', 'js_divergence', 'amplification_slope'];

const log = (...a) => console.error(`[loop-health ${new Date().toISOString().slice(11, 19)}]`, ...a);
const fmtS = (ms) => `${(ms / 1000).toFixed(2)} s`;
const fmtMB = (b) => `${(b / 1024 ** 2).toFixed(0)} MiB`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const loadavg = () => os.loadavg()[0].toFixed(2);
const fmtSteal = (x) => (x === null ? 'n/a' : `${(100 * x).toFixed(0)}%`);
const sqlStr = (s) => `'${String(s).replaceAll("'", "''")}'`;

async function withDb(file, fn, options = {}) {
  const instance = await DuckDBInstance.create(file, options);
  const conn = await instance.connect();
  try {
    await conn.run("SET TimeZone = 'UTC'");
    return await fn(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

const rowsOf = async (conn, sql) => (await conn.runAndReadAll(sql)).getRowObjectsJS();

// ---------------------------------------------------------------------------------------------------------------
// Data generation

/** The Parquet file of exposure rows (one per shown item, with the click outcome as a column). */
async function generateParquet(file, rows) {
  const decisions = Math.ceil(rows / PER_DECISION);
  const spanUs = DAYS * 86400 * 1e6;
  const versionUs = (DAYS / VERSIONS) * 86400 * 1e6;
  // u(stream) = a uniform in [0, 1) from the 64-bit hash of (decision, stream).
  const u = (k) => `(CAST(hash(d, ${k}) AS DOUBLE) / 18446744073709551616.0)`;
  await withDb(':memory:', async (c) => {
    const step = async (name, sql) => {
      const t = performance.now();
      await c.run(sql);
      log(`    ${name}: ${fmtS(performance.now() - t)}`);
    };
    // Inverse CDF of a Zipf law over ranks 1..ITEMS per version: rank r is drawn when lo(r) <= u < lo(r + 1).
    await c.run(`CREATE TABLE cdf AS
      WITH w AS (
        SELECT v, r, pow(r, -(1.0 + 0.01 * (v - 1))) AS w FROM range(1, ${VERSIONS + 1}) a(v), range(1, ${ITEMS + 1}) b(r)),
      c AS (SELECT v, r, sum(w) OVER (PARTITION BY v ORDER BY r) / sum(w) OVER (PARTITION BY v) AS hi FROM w)
      SELECT v, r - 1 AS z, coalesce(lag(hi) OVER (PARTITION BY v ORDER BY r), 0.0) AS lo FROM c`);
    await step('decisions', `CREATE TABLE dec AS
      SELECT d, ts_us, CAST(floor(ts_us / ${versionUs}) AS INTEGER) + 1 AS v, ${u(11)} < 0.02 AS explore,
        ${u(1)} AS u1, ${u(2)} AS u2, ${u(3)} AS u3
      FROM (SELECT range AS d, CAST(floor(range * (${spanUs} / ${decisions})) AS BIGINT) AS ts_us FROM range(${decisions}))`);
    // Personalized decisions: three Zipf draws per decision; exploration: uniform draws.
    await step('Zipf draws (ASOF joins)', `CREATE TABLE drawn AS
      SELECT d.d, d.ts_us, d.v, d.explore,
        CASE WHEN d.explore THEN CAST(floor(d.u1 * ${ITEMS}) AS INTEGER) ELSE c1.z END AS z1,
        CASE WHEN d.explore THEN CAST(floor(d.u2 * ${ITEMS}) AS INTEGER) ELSE c2.z END AS z2,
        CASE WHEN d.explore THEN CAST(floor(d.u3 * ${ITEMS}) AS INTEGER) ELSE c3.z END AS z3
      FROM dec d
        ASOF JOIN cdf c1 ON c1.v = d.v AND d.u1 >= c1.lo
        ASOF JOIN cdf c2 ON c2.v = d.v AND d.u2 >= c2.lo
        ASOF JOIN cdf c3 ON c3.v = d.v AND d.u3 >= c3.lo`);
    // Distinct items within a decision: a repeated draw moves to the next free rank. Sorted by decision, so the rows
    // below come out in time order (the ASOF joins do not keep it) without sorting the 10M wide rows themselves.
    await step('distinct slates', `CREATE TABLE slate AS
      SELECT d, ts_us, v, explore, z1, z2b AS z2,
        CASE WHEN z3 NOT IN (z1, z2b) THEN z3 WHEN (z3 + 1) % ${ITEMS} NOT IN (z1, z2b) THEN (z3 + 1) % ${ITEMS}
             ELSE (z3 + 2) % ${ITEMS} END AS z3
      FROM (SELECT *, CASE WHEN z2 <> z1 THEN z2 ELSE (z2 + 1) % ${ITEMS} END AS z2b FROM drawn)
      ORDER BY d`);
    await c.run('DROP TABLE drawn');
    await c.run('DROP TABLE dec');
    // Rank -> item id through a fixed permutation (7919 is prime to 1000), so popular items are not item_0000..
    const rowU = (k) => `(CAST(hash(d, position, ${k}) AS DOUBLE) / 18446744073709551616.0)`;
    await step('rows -> parquet', `COPY (
      SELECT make_timestamp(ts_us + epoch_us(TIMESTAMP '${START}')) AS ts,
        'dec-' || d AS decision_id, 'req-' || d AS request_id, 'user-' || (hash(d, 5) % 200000) AS user_id,
        'v' || lpad(CAST(v AS VARCHAR), 2, '0') AS policy_version,
        CASE WHEN explore THEN 'exploration' ELSE 'personalized' END AS strategy,
        'item_' || lpad(CAST(z * 7919 % ${ITEMS} AS VARCHAR), 4, '0') AS item_id,
        CAST(position AS INTEGER) AS position,
        CASE WHEN explore THEN ${1 / ITEMS} ELSE 0.05 + 0.95 * ${rowU(6)} END AS propensity,
        explore AS explored,
        ${rowU(7)} < CASE position WHEN 1 THEN 0.036 WHEN 2 THEN 0.030 ELSE 0.024 END AS click
      FROM (SELECT d, ts_us, v, explore, unnest([z1, z2, z3]) AS z, unnest([1, 2, 3]) AS position FROM slate)
      WHERE d * ${PER_DECISION} + position <= ${rows}
    ) TO ${sqlStr(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)`);
  });
}

/** The same rows as CSV, for a pandas without a Parquet engine (Debian's python3-pandas has neither pyarrow nor fastparquet). */
async function writeCsv(parquet, csv) {
  await withDb(':memory:', (c) =>
    c.run(`COPY (
      SELECT epoch_us(ts) AS ts_us, policy_version, strategy, item_id, position, propensity,
        CAST(explored AS INTEGER) AS explored, CAST(click AS INTEGER) AS click
      FROM read_parquet(${sqlStr(parquet)})
    ) TO ${sqlStr(csv)} (FORMAT csv, HEADER)`),
  );
}

/** A Loopguard store holding the same rows: created (migrations) by DuckDbStore.open, then bulk-loaded with SQL. */
async function buildStore(parquet, store, rows) {
  for (const f of [store, `${store}.wal`]) fs.rmSync(f, { force: true });
  const { DuckDbStore } = await import(pathToFileURL(path.join(ROOT, 'dist', 'store', 'duckdb', 'store.js')).href);
  const { OUTCOME_KEY_SQL } = await import(pathToFileURL(path.join(ROOT, 'dist', 'store', 'duckdb', 'tables.js')).href);
  const s = await DuckDbStore.open(store);
  await s.close();
  const src = `read_parquet(${sqlStr(parquet)})`;
  const { EXPLORE_SQL } = await import(pathToFileURL(path.join(ROOT, 'dist', 'analyses', 'sql.js')).href);
  const key = OUTCOME_KEY_SQL('request_id', 'item_id'); // as the store's ingest writes it
  const p = sqlStr(PROJECT);
  await withDb(store, async (c) => {
    const step = async (name, sql) => {
      const t = performance.now();
      await c.run(sql);
      log(`    ${name}: ${fmtS(performance.now() - t)}`);
    };
    await c.run('BEGIN TRANSACTION');
    // One decision per slate, from its position-1 row; ids are dec-<d>, and only the last slate may be short.
    await step('decisions', `INSERT INTO decisions
      SELECT ${p}, decision_id, ts, request_id, user_id, NULL, 'home', 'ranker', policy_version, strategy, NULL,
        CAST(least(${PER_DECISION}, ${rows} - ${PER_DECISION} * CAST(substr(decision_id, 5) AS BIGINT)) AS INTEGER), NULL
      FROM ${src} WHERE position = 1`);
    await step('exposures', `INSERT INTO exposures
      SELECT ${p}, decision_id, request_id, ts, user_id, 'home', 'ranker', policy_version, strategy, item_id, position,
        propensity, NULL, explored,
        CAST(least(${PER_DECISION}, ${rows} - ${PER_DECISION} * CAST(substr(decision_id, 5) AS BIGINT)) AS INTEGER), ${key}
      FROM ${src}`);
    // The store's copy of the exploration and holdout exposures, as its ingest writes it.
    await step('explored exposures', `INSERT INTO explored_exposures SELECT * FROM exposures e WHERE e.project = ${p} AND ${EXPLORE_SQL}`);
    await step('outcomes', `INSERT INTO outcomes
      SELECT ${p}, 'out-' || request_id || '-' || item_id, ts + INTERVAL 30 SECOND, request_id, item_id, 'click', 1.0, ${key}
      FROM ${src} WHERE click`);
    await step('commit', 'COMMIT');
    await step('checkpoint', 'CHECKPOINT');
  });
}

async function describeData(parquet) {
  return withDb(':memory:', async (c) => {
    const [r] = await rowsOf(
      c,
      `SELECT count(*) AS rows, count(DISTINCT item_id) AS items, count(DISTINCT policy_version) AS versions,
        count(DISTINCT decision_id) AS decisions, avg(CAST(explored AS DOUBLE)) AS explored_share, avg(CAST(click AS DOUBLE)) AS click_rate,
        CAST(min(ts) AS VARCHAR) AS first_ts, CAST(max(ts) AS VARCHAR) AS last_ts
      FROM read_parquet(${sqlStr(parquet)})`,
    );
    return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));
  });
}

async function prepareData(dir, rows, regen) {
  fs.mkdirSync(dir, { recursive: true });
  const files = {
    parquet: path.join(dir, 'exposures.parquet'),
    csv: path.join(dir, 'exposures.csv'),
    store: path.join(dir, 'loop-health.duckdb'),
    manifest: path.join(dir, 'manifest.json'),
  };
  const spec = { rows, items: ITEMS, versions: VERSIONS, days: DAYS, per_decision: PER_DECISION, start: START, generator: 6 };
  let manifest = null;
  try {
    manifest = JSON.parse(fs.readFileSync(files.manifest, 'utf8'));
  } catch {}
  const cached =
    !regen && manifest && JSON.stringify(manifest.spec) === JSON.stringify(spec) && [files.parquet, files.csv, files.store].every((f) => fs.existsSync(f));
  if (cached) {
    log(`reusing the data in ${dir} (--regen to rebuild)`);
    return { files, ...manifest };
  }
  fs.rmSync(files.manifest, { force: true });
  const timings = {};
  let t = performance.now();
  log(`generating ${rows.toLocaleString('en-US')} exposure rows -> ${files.parquet}`);
  await generateParquet(files.parquet, rows);
  timings.generate_parquet_ms = performance.now() - t;
  log(`  ${fmtS(timings.generate_parquet_ms)}`);
  t = performance.now();
  log(`loading the store ${files.store}`);
  await buildStore(files.parquet, files.store, rows);
  timings.build_store_ms = performance.now() - t;
  log(`  ${fmtS(timings.build_store_ms)}`);
  t = performance.now();
  log(`writing the CSV copy for pandas ${files.csv}`);
  await writeCsv(files.parquet, files.csv);
  timings.write_csv_ms = performance.now() - t;
  log(`  ${fmtS(timings.write_csv_ms)}`);
  const data = await describeData(files.parquet);
  const sizes = Object.fromEntries(['parquet', 'csv', 'store'].map((k) => [`${k}_bytes`, fs.statSync(files[k]).size]));
  manifest = { spec, data: { ...data, ...sizes }, timings };
  fs.writeFileSync(files.manifest, JSON.stringify(manifest, null, 2));
  return { files, ...manifest };
}

// ---------------------------------------------------------------------------------------------------------------
// Timed runs

/**
 * Runs a command to completion under /usr/bin/time -v (peak RSS of the process tree's largest process), or, without
 * it, polls /proc/<pid>/status VmHWM. Resolves with stdout, stderr, exit code, wall ms and peak RSS in bytes.
 */
function measured(cmd, args, { okCodes = [0] } = {}) {
  return new Promise((resolve, reject) => {
    const argv = TIME ? [TIME, ['-v', cmd, ...args]] : [cmd, args];
    const t0 = performance.now();
    const child = spawn(argv[0], argv[1], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [], err = [];
    let hwm = 0;
    const poll = TIME
      ? null
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) hwm = Math.max(hwm, Number(m[1]) * 1024);
          } catch {}
        }, 20);
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = performance.now() - t0;
      if (poll) clearInterval(poll);
      let stderr = Buffer.concat(err).toString('utf8');
      let peak = hwm;
      let cpuMs = NaN;
      if (TIME) {
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
        peak = m ? Number(m[1]) * 1024 : NaN;
        const ut = /User time \(seconds\): ([\d.]+)/.exec(stderr), sy = /System time \(seconds\): ([\d.]+)/.exec(stderr);
        cpuMs = ut && sy ? (Number(ut[1]) + Number(sy[1])) * 1000 : NaN;
        const st = /Exit status: (\d+)/.exec(stderr);
        if (st) code = Number(st[1]);
        stderr = stderr.replace(/\n?\s*Command being timed:[\s\S]*$/, '');
      }
      const r = { code, signal, ms, cpuMs, peakRss: peak, stdout: Buffer.concat(out).toString('utf8'), stderr };
      if (signal || !okCodes.includes(code)) reject(new Error(`${cmd} ${args.join(' ')} exited with ${signal ?? code}:\n${stderr}`));
      else resolve(r);
    });
  });
}

const loopguardArgs = (store) => [BIN, 'loop-health', '--project', PROJECT, '--db', store, '--format', 'json'];
const pandasArgs = (files) => [path.join(ROOT, 'bench', 'loop_health_baseline.py'), '--csv', files.csv, '--parquet', files.parquet];

/** One timed `loopguard loop-health` process, with the 1-minute load average just before it and the steal during it. */
async function runLoopguard(store, label) {
  const load = os.loadavg()[0], ticks = cpuTicks();
  // Exit 1 = a loop-health check failed (the generated data has a rich-get-richer drift on purpose); not an error.
  const r = await measured(process.execPath, loopguardArgs(store), { okCodes: [0, 1] });
  const steal = stealShare(ticks, cpuTicks());
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch (e) {
    throw new Error(`loopguard loop-health printed output that is not JSON (${e.message}):\n${r.stdout.slice(0, 500)}`);
  }
  log(`  loopguard run ${label}: ${fmtS(r.ms)} wall, ${fmtS(r.cpuMs)} CPU, peak RSS ${fmtMB(r.peakRss)}, exit ${r.code}, load ${load.toFixed(2)}, steal ${fmtSteal(steal)}`);
  return { ms: r.ms, cpuMs: r.cpuMs, peakRss: r.peakRss, code: r.code, load, steal, json };
}

/** One timed run of the pandas baseline, with the load average just before it and the steal during it. */
async function runPandas(files, label) {
  const load = os.loadavg()[0], ticks = cpuTicks();
  const r = await measured(PYTHON, pandasArgs(files));
  const steal = stealShare(ticks, cpuTicks());
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch (e) {
    throw new Error(`the pandas baseline printed output that is not JSON (${e.message}):\n${r.stdout.slice(0, 500)}\n${r.stderr}`);
  }
  log(
    `  pandas run ${label}: ${fmtS(r.ms)} wall (read ${json.timings.read_s.toFixed(2)} s + compute ${json.timings.compute_s.toFixed(2)} s` +
      ` in-script, from ${json.input.format}), ${fmtS(r.cpuMs)} CPU, peak RSS ${fmtMB(r.peakRss)}, load ${load.toFixed(2)}, steal ${fmtSteal(steal)}`,
  );
  return { ms: r.ms, cpuMs: r.cpuMs, peakRss: r.peakRss, load, steal, json };
}

/**
 * `--profile`: loop-health in this process on the benchmark store, `runs` times, with every SQL statement timed (wall
 * and process CPU, which includes DuckDB's threads) and the JavaScript between statements timed as phases named
 * after the statement that follows them. Prints a table per run; no pandas, no targets.
 */
async function profile(store, runs) {
  const { DuckDbStore } = await import(pathToFileURL(path.join(ROOT, 'dist', 'store', 'duckdb', 'store.js')).href);
  const { loopHealth } = await import(pathToFileURL(path.join(ROOT, 'dist', 'analyses', 'loop-health', 'index.js')).href);
  const db = await DuckDbStore.open(store);
  const label = (sql) => sql.replace(/\s+/g, ' ').trim().slice(0, 90);
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  try {
    for (let k = 0; k < runs; k++) {
      const phases = [];
      let mark = { t: performance.now(), c: cpu() };
      const timed = (method) => async (sql, params) => {
        const start = { t: performance.now(), c: cpu() };
        phases.push({ what: `js before: ${label(sql).slice(0, 40)}`, ms: start.t - mark.t, cpuMs: start.c - mark.c });
        try {
          return await db[method](sql, params);
        } finally {
          mark = { t: performance.now(), c: cpu() };
          phases.push({ what: `sql: ${label(sql)}`, ms: mark.t - start.t, cpuMs: mark.c - start.c });
        }
      };
      const q = { dialect: db.dialect, query: timed('query'), queryColumns: timed('queryColumns') };
      const t0 = performance.now(), c0 = cpu(), load = os.loadavg()[0];
      const result = await loopHealth(q, { project: PROJECT });
      const end = { t: performance.now(), c: cpu() };
      phases.push({ what: 'js after the last statement', ms: end.t - mark.t, cpuMs: end.c - mark.c });
      const sum = (f) => phases.filter(f).reduce((a, p) => [a[0] + p.ms, a[1] + p.cpuMs], [0, 0]);
      const [sqlMs, sqlCpu] = sum((p) => p.what.startsWith('sql:'));
      console.log(`\nprofile run ${k + 1}/${runs}: ${fmtS(end.t - t0)} wall, ${fmtS(end.c - c0)} CPU (SQL ${fmtS(sqlMs)} wall / ${fmtS(sqlCpu)} CPU; JS ${fmtS(end.t - t0 - sqlMs)}), ${result.metrics.length} metrics, load ${load.toFixed(2)}`);
      for (const p of phases) if (p.ms >= 1) console.log(`  ${(p.ms / 1000).toFixed(3).padStart(7)} s wall ${(p.cpuMs / 1000).toFixed(3).padStart(7)} s CPU  ${p.what}`);
    }
  } finally {
    await db.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Checks

/** Loopguard's metrics per version and per consecutive pair, in the baseline's shape. */
export function loopguardMetrics(result) {
  const versions = new Map();
  const pairs = new Map();
  for (const m of result.metrics) {
    const v = m.group?.policy_version;
    if (v === undefined || Object.keys(m.group).some((k) => k !== 'policy_version' && k !== 'previous')) continue;
    if (m.group.previous !== undefined) {
      if (!PER_PAIR.includes(m.name)) continue;
      const key = `${m.group.previous}->${v}`;
      pairs.set(key, { ...(pairs.get(key) ?? { previous: m.group.previous, version: v }), [m.name]: m.value });
    } else if (PER_VERSION.includes(m.name)) versions.set(v, { ...(versions.get(v) ?? { version: v }), [m.name]: m.value });
  }
  return { versions, pairs };
}

export function compare(lg, base) {
  const problems = [];
  const notes = [];
  const worst = {};
  const check = (where, name, a, b) => {
    if (a === undefined || b === undefined) return problems.push(`${where} ${name}: missing in ${a === undefined ? 'loopguard' : 'baseline'}`);
    const bothNull = (a === null || Number.isNaN(a)) && (b === null || Number.isNaN(b));
    const diff = bothNull ? 0 : Math.abs(a - b);
    if (!(diff <= TOL * Math.max(1, Math.abs(b)))) problems.push(`${where} ${name}: loopguard ${a} vs pandas ${b} (|diff| ${diff})`);
    if (Number.isFinite(diff)) worst[name] = Math.max(worst[name] ?? 0, diff);
  };
  const baseVersions = new Map(base.versions.map((v) => [v.version, v]));
  if (lg.versions.size !== baseVersions.size)
    problems.push(`versions: loopguard has ${lg.versions.size}, pandas ${baseVersions.size}`);
  for (const [v, m] of lg.versions) {
    const b = baseVersions.get(v);
    if (!b) {
      problems.push(`version ${v}: not in the baseline`);
      continue;
    }
    for (const name of PER_VERSION) check(`version ${v}`, name, m[name], b[name]);
  }
  const basePairs = new Map(base.pairs.map((p) => [`${p.previous}->${p.version}`, p]));
  if (lg.pairs.size !== basePairs.size) problems.push(`version pairs: loopguard has ${lg.pairs.size}, pandas ${basePairs.size}`);
  for (const [k, m] of lg.pairs) {
    const b = basePairs.get(k);
    if (!b) {
      problems.push(`pair ${k}: not in the baseline (versions ordered differently?)`);
      continue;
    }
    for (const name of PER_PAIR) check(`pair ${k}`, name, m[name], b[name]);
  }
  if (base.head_boundary_tie) {
    // The head's last item ties with the first tail item: which one is head depends on catalog order, not a bug.
    const tied = problems.filter((p) => p.includes(' tail_share:'));
    problems.splice(0, problems.length, ...problems.filter((p) => !p.includes(' tail_share:')));
    if (tied.length) notes.push(`tail_share: ${tied.length} differences ignored, the head boundary is a tie in the reference version`);
  }
  const required = problems.filter((p) => REQUIRED.some((n) => p.includes(` ${n}:`)) || /versions|not in the baseline/.test(p));
  return { problems, required, notes, worstAbsDiff: worst };
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '10000000' },
      runs: { type: 'string', default: '3' },
      'pandas-runs': { type: 'string', default: '3' },
      regen: { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      'data-dir': { type: 'string', default: path.join(OUT_DIR, 'loop-health-data') },
      profile: { type: 'boolean', default: false },
    },
  });
  const rows = Number(values.rows.replaceAll('_', ''));
  const runs = Number(values.runs);
  const pandasRuns = Number(values['pandas-runs']);
  if (!Number.isInteger(rows) || rows < 1000) throw new Error(`--rows must be a whole number >= 1000 (got ${values.rows})`);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(pandasRuns) || pandasRuns < 1) throw new Error('--runs and --pandas-runs must be >= 1');
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run npx tsc -p tsconfig.build.json first');

  const t0 = performance.now();
  const loadStart = os.loadavg()[0];
  if (loadStart > 0.5) log(`warning: load average ${loadStart.toFixed(2)} on ${os.cpus().length} CPUs before the benchmark; timings will be noisy`);
  const data = await prepareData(path.resolve(values['data-dir']), rows, values.regen);
  log(`data: ${JSON.stringify(data.data)}`);

  if (values.profile) return profile(data.files.store, runs);

  // Interleaved (loopguard, pandas, loopguard, ...), so that both see the same load on a shared machine.
  log(`timing loopguard loop-health (${runs} runs) and the pandas baseline (${pandasRuns} runs), interleaved`);
  const lg = { command: `node ${loopguardArgs(data.files.store).map((a) => (a === BIN ? 'bin/loopguard.js' : a)).join(' ')}`, results: [] };
  const pd = { command: `${PYTHON} ${pandasArgs(data.files).map((a) => path.relative(ROOT, a) || a).join(' ')}`, results: [] };
  for (let i = 0; i < Math.max(runs, pandasRuns); i++) {
    if (i < runs) lg.results.push(await runLoopguard(data.files.store, `${i + 1}/${runs}`));
    if (i < pandasRuns) pd.results.push(await runPandas(data.files, `${i + 1}/${pandasRuns}`));
  }
  const loadEnd = os.loadavg()[0];

  // Correctness: every Loopguard run against the baseline.
  const base = pd.results[0].json;
  const checks = lg.results.map((r) => compare(loopguardMetrics(r.json), base));
  const lgMetrics = loopguardMetrics(lg.results[0].json);
  const giniPerVersion = [...lgMetrics.versions.values()].every((v) => typeof v.gini === 'number' && Number.isFinite(v.gini));
  if (!giniPerVersion || lgMetrics.versions.size !== VERSIONS)
    checks[0].required.push(`loopguard output: expected a finite gini for each of ${VERSIONS} versions, got ${lgMetrics.versions.size} versions`);

  const lgMs = median(lg.results.map((r) => r.ms));
  const lgPeak = Math.max(...lg.results.map((r) => r.peakRss));
  const pdMs = median(pd.results.map((r) => r.ms));
  const pdPeak = Math.max(...pd.results.map((r) => r.peakRss));
  const pdRead = median(pd.results.map((r) => r.json.timings.read_s * 1000));
  const pdCompute = median(pd.results.map((r) => r.json.timings.compute_s * 1000));
  const pdInScript = median(pd.results.map((r) => r.json.timings.total_s * 1000));
  const ratio = pdMs / lgMs;
  // Pairs run back to back (same load): pandas run i over loopguard run i.
  const pairRatios = lg.results.slice(0, pd.results.length).map((r, i) => pd.results[i].ms / r.ms);
  const loads = [...lg.results, ...pd.results].map((r) => r.load);
  const ratioInScript = pdInScript / lgMs;
  const ratioComputeOnly = pdCompute / lgMs;
  const speedPass = ratio >= TARGETS.speedup_vs_pandas;
  const memPass = lgPeak < TARGETS.peak_rss_bytes;
  const inputFormat = base.input.format;

  const summary = {
    benchmark: 'loop-health',
    when: new Date().toISOString(),
    machine: { loadavg_1m_at_start: loadStart, loadavg_1m_at_end: loadEnd, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, mem_bytes: os.totalmem(), node: process.version, platform: `${os.platform()} ${os.release()}` },
    data: { ...data.spec, ...data.data, generation: data.timings },
    loopguard: {
      command: lg.command,
      runs_ms: lg.results.map((r) => Math.round(r.ms)),
      runs_loadavg_1m: lg.results.map((r) => r.load),
      runs_cpu_steal: lg.results.map((r) => r.steal),
      median_ms: Math.round(lgMs),
      cpu_ms_runs: lg.results.map((r) => Math.round(r.cpuMs)),
      peak_rss_bytes: lgPeak,
      peak_rss_runs: lg.results.map((r) => r.peakRss),
      exit_codes: lg.results.map((r) => r.code),
      verdicts: lg.results[0].json.verdicts.reduce((acc, v) => ((acc[`${v.check}:${v.status}`] = (acc[`${v.check}:${v.status}`] ?? 0) + 1), acc), {}),
    },
    pandas: {
      command: pd.command,
      input: base.input,
      version_order: base.versions_of,
      runs_ms: pd.results.map((r) => Math.round(r.ms)),
      runs_loadavg_1m: pd.results.map((r) => r.load),
      runs_cpu_steal: pd.results.map((r) => r.steal),
      median_wall_ms: Math.round(pdMs),
      cpu_ms_runs: pd.results.map((r) => Math.round(r.cpuMs)),
      median_in_script_ms: Math.round(pdInScript),
      median_read_ms: Math.round(pdRead),
      median_compute_ms: Math.round(pdCompute),
      peak_rss_bytes: pdPeak,
      maxrss_self_bytes: base.maxrss_bytes,
    },
    ratio: {
      pandas_wall_over_loopguard_wall: ratio,
      pandas_in_script_over_loopguard_wall: ratioInScript,
      pandas_compute_only_over_loopguard_wall: ratioComputeOnly,
      pandas_cpu_over_loopguard_cpu: median(pd.results.map((r) => r.cpuMs)) / median(lg.results.map((r) => r.cpuMs)),
      pandas_over_loopguard_per_pair: pairRatios,
      median_of_pair_ratios: pairRatios.length ? median(pairRatios) : null,
    },
    targets: {
      speedup_vs_pandas: { target: TARGETS.speedup_vs_pandas, value: ratio, pass: speedPass },
      peak_rss_bytes: { target: TARGETS.peak_rss_bytes, value: lgPeak, pass: memPass },
    },
    agreement: {
      tolerance: TOL,
      required: REQUIRED,
      pass: checks.every((c) => c.required.length === 0),
      all_metrics_pass: checks.every((c) => c.problems.length === 0),
      worst_abs_diff: checks[0].worstAbsDiff,
      problems: [...new Set(checks.flatMap((c) => [...c.required, ...c.problems]))].slice(0, 50),
      notes: [...new Set(checks.flatMap((c) => c.notes))],
    },
    per_version: [...lgMetrics.versions.values()],
    bench_wall_ms: Math.round(performance.now() - t0),
  };
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(path.join(OUT_DIR, 'loop-health.json'), JSON.stringify(summary, null, 2) + '\n');

  const pf = (p) => (p ? 'PASS' : 'MISS');
  const stealRange = (rs) => {
    const xs = rs.map((r) => r.steal).filter((x) => x !== null);
    return xs.length ? `${fmtSteal(Math.min(...xs))}-${fmtSteal(Math.max(...xs))}` : 'n/a';
  };
  const lines = [
    '',
    `loop-health benchmark: ${data.data.rows.toLocaleString('en-US')} exposures, ${data.data.items} items, ${data.data.versions} versions, ${data.data.decisions.toLocaleString('en-US')} decisions (${os.cpus().length} CPUs)`,
    `  loopguard loop-health   median ${fmtS(lgMs)} wall over ${runs} runs [${lg.results.map((r) => (r.ms / 1000).toFixed(2)).join(', ')}], CPU [${lg.results.map((r) => (r.cpuMs / 1000).toFixed(2)).join(', ')}] s, peak RSS ${fmtMB(lgPeak)}`,
    `  pandas baseline         median ${fmtS(pdMs)} wall (process) over ${pandasRuns} run${pandasRuns > 1 ? 's' : ''}, ${fmtS(pdInScript)} in-script = read ${fmtS(pdRead)} (${inputFormat}) + compute ${fmtS(pdCompute)}, peak RSS ${fmtMB(pdPeak)}`,
    `  ratio pandas/loopguard  ${ratio.toFixed(2)}x wall   (${ratioInScript.toFixed(2)}x in-script, ${ratioComputeOnly.toFixed(2)}x compute only, i.e. pandas without reading its input;` +
      ` ${summary.ratio.pandas_cpu_over_loopguard_cpu.toFixed(2)}x CPU time)`,
    `  back-to-back pairs      ${pairRatios.map((x) => `${x.toFixed(2)}x`).join(', ')} (median ${pairRatios.length ? median(pairRatios).toFixed(2) : '-'}x)`,
    `  load average (1 min)    ${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)} before the runs (${loadStart.toFixed(2)} at start, ${loadEnd.toFixed(2)} at end) on ${os.cpus().length} CPUs${Math.max(...loads) > 1 ? ': shared machine, loopguard (2 threads) loses more to other load than single-threaded pandas' : ''}`,
    `  CPU steal               ${stealRange(lg.results)} during the loopguard runs, ${stealRange(pd.results)} during the pandas runs (time the hypervisor gave to other guests)`,
    `  target >= ${TARGETS.speedup_vs_pandas}x faster   ${pf(speedPass)} (${ratio.toFixed(2)}x)`,
    `  target < 1 GiB peak     ${pf(memPass)} (${fmtMB(lgPeak)})`,
    `  metrics agree (${REQUIRED.join('/')} to ${TOL}): ${summary.agreement.pass ? 'yes' : 'NO'}; all ${PER_VERSION.length + PER_PAIR.length} compared metrics: ${summary.agreement.all_metrics_pass ? 'yes' : 'no'}`,
    inputFormat === 'csv'
      ? `  note: no Parquet engine for Debian's pandas (no python3-pyarrow/fastparquet), so the baseline read a CSV copy of the same rows`
      : `  note: the baseline read the Parquet file (${base.input.engine})`,
    `  -> ${path.relative(ROOT, path.join(OUT_DIR, 'loop-health.json'))}`,
  ];
  console.log(lines.join('\n'));
  if (!summary.agreement.pass) {
    console.error('\nFAIL: Loopguard and the pandas baseline disagree:\n  ' + summary.agreement.problems.join('\n  '));
    process.exit(1);
  }
  if (!summary.agreement.all_metrics_pass) console.error('\nwarning: secondary metrics differ:\n  ' + summary.agreement.problems.join('\n  '));
  if (values.strict && !(speedPass && memPass)) process.exit(1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  });
}
