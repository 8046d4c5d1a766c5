/**
 * Diagnostic (not part of `npm run bench`): where does the server's write path spend its time? Replays the HTTP
 * handler's work in-process, without HTTP, on the project's own dist/ code: JSON.parse of a request body,
 * validateBatch, then DuckDbStore.writeEvents with group commits of `--commit` events. Every SQL statement the store
 * issues is timed by wrapping the write connection's run/runAndReadAll (src/ is untouched).
 *
 * node bench/profile-store.js [--events 400000] [--batch 1000] [--commit 8000]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildBodies } from './http-ingest.js';
import { fmtInt, fmtMs, log, table, tmpDir } from './lib.js';
import { instrument, instrumentChunks } from './instrument.js';

const { DuckDbStore } = await import('../dist/store/duckdb/store.js');
const { validateBatch } = await import('../dist/events/validate.js');

const { values } = parseArgs({ options: { events: { type: 'string' }, batch: { type: 'string' }, commit: { type: 'string' } } });
const total = Number(values.events ?? 400_000);
const size = Number(values.batch ?? 1000);
const perCommit = Number(values.commit ?? 8000);

const dir = tmpDir('profile');
const store = await DuckDbStore.open(path.join(dir, 'p.duckdb'));
const stats = new Map();
const add = instrument(store.writeConn, stats);
await instrumentChunks(add);
const labelSql = (label) => label;

const n = Math.ceil(total / size);
const { bodies } = buildBodies({ nBatches: n, size, runId: 'p', startSeq: 0, seed: 7 });
const strings = bodies.map((b) => b.toString('utf8'));
log(`profile: ${n} bodies of ${size} events, group commits of ${perCommit} events`);

const perCommitBodies = Math.max(1, Math.floor(perCommit / size));
const windows = [];
const t0 = performance.now();
let winStart = performance.now(), winEvents = 0;
for (let i = 0; i < n; i += perCommitBodies) {
  const batches = [];
  for (let j = i; j < Math.min(n, i + perCommitBodies); j++) {
    let t = performance.now();
    const parsed = JSON.parse(strings[j]);
    add('js: JSON.parse body', performance.now() - t);
    t = performance.now();
    const v = validateBatch(parsed);
    add('js: validateBatch', performance.now() - t);
    if (v.rejected.length) throw new Error(`rejected: ${JSON.stringify(v.rejected.slice(0, 3))}`);
    batches.push({ project: 'bench', events: v.valid });
  }
  const t = performance.now();
  const counts = await store.writeEvents(batches);
  add('store: writeEvents (total)', performance.now() - t);
  if (counts.some((c, k) => c.stored !== batches[k].events.length)) throw new Error('not all stored');
  winEvents += batches.reduce((s, b) => s + b.events.length, 0);
  if (winEvents >= 50_000) {
    windows.push(winEvents / ((performance.now() - winStart) / 1000));
    winStart = performance.now();
    winEvents = 0;
  }
}
const wall = performance.now() - t0;
await store.close();
fs.rmSync(dir, { recursive: true, force: true });

const rows = [...stats.entries()]
  .sort((a, b) => b[1].ms - a[1].ms)
  .map(([label, s]) => [labelSql(label), String(s.calls), fmtMs(s.ms), fmtMs(s.ms / s.calls), `${((100 * s.ms) / wall).toFixed(1)}%`, fmtMs((1e6 * s.ms) / total / 1000) + ' us']);
console.log(table(['phase', 'calls', 'total ms', 'ms/call', 'share', 'per event'], rows));
console.log(`\n${fmtInt(total)} events in ${fmtMs(wall)} ms: ${fmtInt(total / (wall / 1000))} events/s (no HTTP)`);
console.log(`throughput per 50k-event window (does it degrade as the tables grow?): ${windows.map(fmtInt).join(', ')}`);
