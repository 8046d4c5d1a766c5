/**
 * `npm run bench`: the HTTP ingest and file ingest benchmarks of the Foundation issue, a summary table with the
 * targets (PASS/MISS), and bench/out/results.json.
 *
 * node bench/run.js [--only http|file] [--quick] [--strict]
 *   --quick   fewer events (smoke test)    --strict  exit 1 when a target is missed
 * A failed check (a request not answered 200 with stored == batch size, acknowledged events missing after the
 * server is killed, a file not fully loaded) always aborts with exit 1.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { printFile, runFileBench } from './file-ingest.js';
import { printHttp, runHttpBench } from './http-ingest.js';
import { OUT_DIR, ROOT, fmtInt, fmtMs, log, table } from './lib.js';

export const TARGETS = {
  http_events_per_s_batch_1000: 100_000,
  file_rows_per_s: 1_000_000,
};

const { values } = parseArgs({
  options: { only: { type: 'string' }, quick: { type: 'boolean' }, strict: { type: 'boolean' } },
});

function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function duckdbVersion() {
  try {
    return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/@duckdb/node-api/package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

const started = new Date();
const env = {
  date: started.toISOString(),
  node: process.version,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  cpus: os.cpus().length,
  cpu_model: os.cpus()[0]?.model ?? null,
  memory_gb: Math.round(os.totalmem() / 1e9),
  loadavg_at_start: os.loadavg().map((x) => Number(x.toFixed(2))),
  git_commit: git(['rev-parse', 'HEAD']),
  git_dirty: (git(['status', '--porcelain', '--', 'src']) ?? '') !== '',
  duckdb_node_api: duckdbVersion(),
};
log(`${env.cpus} x ${env.cpu_model}, node ${env.node}, load average ${env.loadavg_at_start.join(' ')}`);
if (env.loadavg_at_start[0] > env.cpus * 0.5)
  log(`warning: the machine is busy (load ${env.loadavg_at_start[0]} on ${env.cpus} CPUs); figures will be low and noisy`);

const results = { env, targets: TARGETS };
const t0 = performance.now();
if (values.only !== 'file') results.http = await runHttpBench(values.quick ? { events: 20_000, concurrency: [8] } : {});
if (values.only !== 'http') results.file = await runFileBench(values.quick ? { rows: 200_000, runs: 1 } : {});
results.env.loadavg_at_end = os.loadavg().map((x) => Number(x.toFixed(2)));
results.env.seconds = (performance.now() - t0) / 1000;

const verdicts = [];
if (results.http) {
  const best = results.http.best_1000;
  verdicts.push({
    target: `HTTP ingest, batches of 1,000, durable acks >= ${fmtInt(TARGETS.http_events_per_s_batch_1000)} events/s`,
    measured: `${fmtInt(best.events_per_s)} events/s (concurrency ${best.concurrency}; p50 ${fmtMs(best.p50_ms)} ms, p99 ${fmtMs(best.p99_ms)} ms)`,
    pass: best.events_per_s >= TARGETS.http_events_per_s_batch_1000,
  });
  const b100 = results.http.best_100;
  if (b100)
    verdicts.push({
      target: 'HTTP ingest, batches of 100 (information)',
      measured: `${fmtInt(b100.events_per_s)} events/s (concurrency ${b100.concurrency}; p50 ${fmtMs(b100.p50_ms)} ms, p99 ${fmtMs(b100.p99_ms)} ms)`,
      pass: null,
    });
}
if (results.file) {
  verdicts.push({
    target: `File ingest (1M-row Parquet, CLI end to end, median) >= ${fmtInt(TARGETS.file_rows_per_s)} rows/s`,
    measured: `${fmtInt(results.file.cli_rows_per_s)} rows/s (${fmtMs(results.file.cli_median_ms)} ms; in-process ingestFile ${fmtInt(results.file.inprocess_rows_per_s)} rows/s)`,
    pass: results.file.cli_rows_per_s >= TARGETS.file_rows_per_s,
  });
}
results.verdicts = verdicts;

fs.mkdirSync(OUT_DIR, { recursive: true });
const outFile = path.join(OUT_DIR, 'results.json');
fs.writeFileSync(outFile, JSON.stringify(results, null, 2) + '\n');

const sections = [];
if (results.http) {
  sections.push(`HTTP ingest (server in a child process, client: ${results.http.client}, durable acks verified; after SIGKILL the store held all ${fmtInt(results.http.durability.expected.decisions + results.http.durability.expected.outcomes)} acknowledged events)`);
  sections.push(printHttp(results.http));
  if (results.http.client_probe.length)
    sections.push(`client probe (batch 1000, concurrency 8): ${results.http.client_probe.map((p) => `${p.client} ${fmtInt(p.events_per_s)} events/s`).join(', ')}`);
}
if (results.file) {
  sections.push(`File ingest (${fmtInt(results.file.rows)} rows, ${(results.file.parquet_bytes / 1e6).toFixed(1)} MB Parquet, fresh store per run)`);
  sections.push(printFile(results.file));
}
sections.push(
  table(
    ['target', 'measured', ''],
    verdicts.map((v) => [v.target, v.measured, v.pass === null ? '' : v.pass ? 'PASS' : 'MISS']),
  ),
);
sections.push(
  `${env.cpus} x ${env.cpu_model}, node ${env.node}, DuckDB node-api ${env.duckdb_node_api}; load average ${env.loadavg_at_start.join(' ')} -> ${results.env.loadavg_at_end.join(' ')}; ` +
    `${results.env.seconds.toFixed(0)} s. Written to ${path.relative(ROOT, outFile)}.`,
);
console.log('\n' + sections.join('\n\n'));

if (values.strict && verdicts.some((v) => v.pass === false)) process.exitCode = 1;
