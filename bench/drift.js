/**
 * Drift benchmark (the drift issue): `loopguard drift` over a 1M-row reference and a 1M-row current Parquet file of
 * 20 numeric and 10 categorical columns, side by side with bench/drift_baseline.py (scipy.stats ks_2samp,
 * wasserstein_distance, chi2_contingency; numpy for PSI and JS) computing the same statistics from the same values.
 * Targets: faster than scipy in the same run; statistics equal to 1e-9 (relative to max(1, |value|)), p-values to 1e-6.
 *
 * node bench/drift.js [--rows N] [--runs 3] [--regen] [--strict] [--data-dir DIR]
 *
 * Needs `npx tsc -p tsconfig.build.json` first. Writes bench/out/drift.json.
 *
 * Data (DuckDB SQL, deterministic: uniforms from hash(row, column, side) rather than random()):
 * - n1..n20 numeric: normal, log-normal, uniform, and integer-valued columns (some with ties: rounded to 1 or 2
 *   decimals, Poisson-like counts); the current side shifts the location or scale of every other column a little.
 * - c1..c10 categorical: 3 to 60 categories with Zipf-like shares; the current side tilts half of them and adds
 *   categories unseen in the reference to two.
 * Loopguard reads the Parquet files. The baseline reads the same values from raw binary files exported here
 * (float64 for numbers, int32 codes for categories: a head start over reading Parquet or strings), and its compute
 * time is reported apart from its read time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { runCommand } from './lib.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'loopguard.js');
const OUT_DIR = path.join(ROOT, 'bench', 'out');
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const NUMERIC = Array.from({ length: 20 }, (_, i) => `n${i + 1}`);
const CATEGORICAL = Array.from({ length: 10 }, (_, i) => `c${i + 1}`);
const BINS = 10;
const STAT_TOL = 1e-9;
const P_TOL = 1e-6;

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    regen: { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    'data-dir': { type: 'string', default: path.join(OUT_DIR, 'drift-data') },
  },
});
const ROWS = Number(args.rows);
const RUNS = Number(args.runs);
const DIR = path.resolve(args['data-dir']);

/** A uniform in (0, 1) from hash(row, stream). */
const u = (stream) => `((hash(i, ${stream}) % 1000000007) + 0.5) / 1000000007.0`;
const normal = (s) => `(sqrt(-2 * ln(${u(s)})) * cos(2 * pi() * ${u(s + 1)}))`;

function numericExpr(k, side) {
  const s = 1000 * k + (side === 'cur' ? 500 : 0);
  const shift = side === 'cur' && k % 2 === 0 ? 0.05 * (k / 2) : 0; // every other column moves, increasingly
  const scale = side === 'cur' && k % 4 === 0 ? 1.1 : 1;
  switch (k % 5) {
    case 0: return `${normal(s)} * ${scale} + ${shift}`; // continuous, ~all distinct
    case 1: return `exp(${normal(s)} * 0.5 * ${scale} + ${shift})`; // log-normal
    case 2: return `round(${u(s)} * 100 * ${scale} + ${shift * 10}, 2)`; // uniform, 2 decimals: ties
    case 3: return `floor(-ln(${u(s)}) * ${3 + shift * 10})`; // geometric counts: heavy ties
    default: return `round(${normal(s)} * 10 * ${scale} + ${shift * 10}, 1)`; // normal, 1 decimal
  }
}

function categoricalExpr(k, side) {
  const levels = [3, 5, 8, 12, 20, 30, 40, 50, 60, 6][k - 1];
  const s = 90000 + 1000 * k + (side === 'cur' ? 500 : 0);
  const tilt = side === 'cur' && k % 2 === 0 ? 1.3 : 1; // Zipf exponent tilt
  const extra = side === 'cur' && (k === 3 || k === 7) ? 2 : 0; // unseen categories
  // Zipf-like: level = floor(levels^(u^tilt)) - 1, so level 0 is the most frequent.
  return `'k${k}_' || CAST(least(${levels + extra - 1}, floor(pow(${levels + extra}, pow(${u(s)}, ${tilt}))) - 1) AS INTEGER)`;
}

async function generate() {
  fs.mkdirSync(DIR, { recursive: true });
  const metaFile = path.join(DIR, 'meta.json');
  if (!args.regen && fs.existsSync(metaFile)) {
    const m = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
    if (m.rows === ROWS && m.bins === BINS) return;
  }
  console.error(`generating ${ROWS} rows per side in ${DIR} ...`);
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  for (const side of ['ref', 'cur']) {
    const cols = [...NUMERIC.map((n, i) => `${numericExpr(i + 1, side)} AS ${n}`), ...CATEGORICAL.map((n, i) => `${categoricalExpr(i + 1, side)} AS ${n}`)];
    await c.run(`CREATE TABLE ${side} AS SELECT ${cols.join(', ')} FROM range(${ROWS}) t(i)`);
    await c.run(`COPY ${side} TO '${path.join(DIR, `${side}.parquet`)}' (FORMAT parquet)`);
  }
  // Raw columns for the baseline: float64 values, int32 codes over the categories of both sides.
  for (const n of NUMERIC)
    for (const side of ['ref', 'cur']) {
      const r = await c.runAndReadAll(`SELECT ${n} FROM ${side}`);
      fs.writeFileSync(path.join(DIR, `${side}_${n}.f64`), Buffer.from(Float64Array.from(r.getColumnsJS()[0]).buffer));
    }
  for (const n of CATEGORICAL) {
    const levels = (await c.runAndReadAll(`SELECT DISTINCT ${n} FROM (SELECT ${n} FROM ref UNION ALL SELECT ${n} FROM cur) ORDER BY 1`)).getColumnsJS()[0];
    const code = new Map(levels.map((l, i) => [l, i]));
    for (const side of ['ref', 'cur']) {
      const r = (await c.runAndReadAll(`SELECT ${n} FROM ${side}`)).getColumnsJS()[0];
      fs.writeFileSync(path.join(DIR, `${side}_${n}.i32`), Buffer.from(Int32Array.from(r, (v) => code.get(v)).buffer));
    }
  }
  c.closeSync();
  db.closeSync();
  fs.writeFileSync(metaFile, JSON.stringify({ rows: ROWS, bins: BINS, numeric: NUMERIC, categorical: CATEGORICAL }));
}

/** Runs a command to completion (exit 1 is a failed check, not an error); rejects on any other non-zero exit. */
async function run(cmd, argv) {
  const r = await runCommand(cmd, argv, { allowFailure: true });
  if (r.code !== 0 && r.code !== 1) throw new Error(`${cmd} ${argv.join(' ')} exited with ${r.signal ?? r.code}:\n${r.stderr}`);
  return r;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  await generate();
  const ref = path.join(DIR, 'ref.parquet'), cur = path.join(DIR, 'cur.parquet');
  const lgTimes = [], pyTimes = [], pyCompute = [], pyRead = [];
  let lg, py;
  for (let r = 0; r < RUNS; r++) {
    const a = await run(process.execPath, [BIN, 'drift', '--reference', ref, '--current', cur, '--threshold', `bins=${BINS}`, '--no-domain-classifier', '--format', 'json']);
    lgTimes.push(a.ms);
    lg = JSON.parse(a.stdout);
    const b = await run(PYTHON, [path.join(ROOT, 'bench', 'drift_baseline.py'), DIR]);
    pyTimes.push(b.ms);
    py = JSON.parse(b.stdout);
    py.wall_ms = b.ms;
    pyCompute.push(py.compute_s);
    pyRead.push(py.read_s);
    console.error(`run ${r + 1}: loopguard ${(a.ms / 1000).toFixed(2)} s, scipy ${(b.ms / 1000).toFixed(2)} s (compute ${py.compute_s.toFixed(2)} s)`);
  }
  // The domain classifier, timed apart (the baseline has no counterpart).
  const dc = await run(process.execPath, [BIN, 'drift', '--reference', ref, '--current', cur, '--format', 'json']);
  const dcResult = JSON.parse(dc.stdout);

  // Compare every statistic.
  let worstStat = 0, worstP = 0, compared = 0;
  const problems = [];
  for (const [col, vals] of Object.entries(py.values)) {
    for (const [name, want] of Object.entries(vals)) {
      const m = lg.metrics.find((x) => x.name === name && x.group?.column === col);
      if (!m) { problems.push(`${col}.${name}: missing in loopguard output`); continue; }
      compared++;
      const got = m.value;
      if (name.endsWith('_pvalue')) {
        const d = Math.abs(got - want);
        worstP = Math.max(worstP, d);
        if (!(d <= P_TOL)) problems.push(`${col}.${name}: loopguard ${got} vs scipy ${want}`);
      } else {
        const d = Math.abs(got - want) / Math.max(1, Math.abs(want));
        worstStat = Math.max(worstStat, d);
        if (!(d <= STAT_TOL)) problems.push(`${col}.${name}: loopguard ${got} vs scipy ${want}`);
      }
    }
  }
  const lgMs = median(lgTimes), pyMs = median(pyTimes);
  py.compute_s = median(pyCompute);
  py.read_s = median(pyRead);
  const summary = {
    rows_per_side: ROWS,
    columns: { numeric: NUMERIC.length, categorical: CATEGORICAL.length },
    runs: RUNS,
    loopguard_wall_s: lgMs / 1000,
    loopguard_runs_s: lgTimes.map((x) => x / 1000),
    scipy_runs_s: pyTimes.map((x) => x / 1000),
    scipy_wall_s: pyMs / 1000,
    scipy_read_s: py.read_s,
    scipy_compute_s: py.compute_s,
    scipy_wall_over_loopguard_wall: pyMs / lgMs,
    scipy_compute_over_loopguard_wall: (py.compute_s * 1000) / lgMs,
    loopguard_with_domain_classifier_s: dc.ms / 1000,
    domain_auc: dcResult.metrics.find((m) => m.name === 'domain_auc')?.value,
    statistics_compared: compared,
    worst_statistic_rel_diff: worstStat,
    worst_pvalue_abs_diff: worstP,
    drifted_columns: lg.metrics.find((m) => m.name === 'drifted_columns')?.value,
    scipy: py.scipy,
    numpy: py.numpy,
    problems,
  };
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(path.join(OUT_DIR, 'drift.json'), JSON.stringify(summary, null, 2) + '\n');
  const faster = lgMs < pyMs;
  console.log(JSON.stringify(summary, null, 2));
  console.log(`${faster ? 'PASS' : 'MISS'} speed: loopguard ${(lgMs / 1000).toFixed(2)} s vs scipy ${(pyMs / 1000).toFixed(2)} s end to end (${(pyMs / lgMs).toFixed(2)}x); scipy compute alone ${py.compute_s.toFixed(2)} s (${((py.compute_s * 1000) / lgMs).toFixed(2)}x)`);
  console.log(`${problems.length ? 'FAIL' : 'PASS'} agreement: ${compared} statistics, worst relative difference ${worstStat.toExponential(2)} (tolerance ${STAT_TOL}), worst p-value difference ${worstP.toExponential(2)} (tolerance ${P_TOL})`);
  if (problems.length) {
    for (const p of problems.slice(0, 20)) console.log(`  ${p}`);
    process.exitCode = 1;
  } else if (args.strict && !faster) process.exitCode = 1;
}

await main();
