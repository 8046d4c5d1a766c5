/**
 * Diagnostic experiment (not part of `npm run bench`): what would a narrower `exposures` table save on file ingest?
 * Makes the file ingest benchmark's 1M-row Parquet file (file-ingest.js), types it into a temporary table, and times
 * INSERT ... SELECT of its rows into `decisions` and `exposures` as the store lays them out, into `exposures` without
 * the decision's six text columns that it repeats on every row (request_id, user_id, surface, policy,
 * policy_version, strategy), and into one that also holds the decision as a 64-bit key instead of its id. Each
 * round runs in a transaction that is rolled back, so every round writes into the same empty tables.
 * Then the same for single columns, each in a table of its own: what a column of each kind costs.
 * `--compression uncompressed` sets DuckDB's force_compression so that no column is compressed: its cheapest write
 * (the file is about 5.5 times larger), a floor under what the store's INSERTs can cost on this machine.
 *
 * node bench/experiment-exposure-schema.js [--rows 1000000] [--rounds 2] [--compression auto|uncompressed]
 * (needs `npm run build`)
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { makeParquet } from './file-ingest.js';
import { fmtInt, fmtMs, log, table, tmpDir } from './lib.js';

const { DuckDbStore } = await import('../dist/store/duckdb/store.js');
const { values } = parseArgs({ options: { rows: { type: 'string' }, rounds: { type: 'string' }, compression: { type: 'string' } } });
const rows = Number(values.rows ?? 1_000_000);
const rounds = Number(values.rounds ?? 2);
const compression = values.compression ?? 'auto';
if (!['auto', 'uncompressed'].includes(compression)) throw new Error(`--compression is auto or uncompressed (got '${compression}')`);

const dir = tmpDir('exposure-schema');
const file = path.join(dir, 'x.parquet');
await makeParquet(file, rows);
const store = await DuckDbStore.open(path.join(dir, 's.duckdb'));
const c = store.writeConn;
await c.run(`PRAGMA force_compression = '${compression}'`);
const sqlFile = file.replace(/'/g, "''");
// Ids as the file ingester synthesizes them: a prefix from the file's hash, then the row number.
await c.run(
  `CREATE TEMP TABLE f AS SELECT 'fabcdef012345:' || CAST(file_row_number + 1 AS VARCHAR) AS id, *
   FROM read_parquet('${sqlFile}', file_row_number = true)`,
);
await c.run(`CREATE TABLE exposures_narrow (project VARCHAR, decision_id VARCHAR, ts TIMESTAMP, item_id VARCHAR, position INTEGER,
  propensity DOUBLE, score DOUBLE, explored BOOLEAN, n_shown INTEGER, outcome_key UBIGINT)`);
await c.run(`CREATE TABLE exposures_keyed (project VARCHAR, decision_key UBIGINT, ts TIMESTAMP, item_id VARCHAR, position INTEGER,
  propensity DOUBLE, score DOUBLE, explored BOOLEAN, n_shown INTEGER, outcome_key UBIGINT)`);
const statements = [
  ['decisions (as the store has them)', `INSERT INTO decisions SELECT 'bench', id, ts, id, user_id, NULL, 'default', 'default', policy_version, 'personalized', NULL, 1, NULL FROM f`],
  [
    'exposures (as the store has them, 16 columns)',
    `INSERT INTO exposures (project, decision_id, request_id, ts, user_id, surface, policy, policy_version, strategy, item_id, position, propensity, score, explored, n_shown, outcome_key)
     SELECT 'bench', id, id, ts, user_id, 'default', 'default', policy_version, 'personalized', item_id, position, propensity, NULL, false, 1, hash(id, item_id) FROM f`,
  ],
  ['exposures without the six repeated text columns', `INSERT INTO exposures_narrow SELECT 'bench', id, ts, item_id, position, propensity, NULL, false, 1, hash(id, item_id) FROM f`],
  ['... and the decision as a 64-bit key', `INSERT INTO exposures_keyed SELECT 'bench', hash(id), ts, item_id, position, propensity, NULL, false, 1, hash(id, item_id) FROM f`],
];
// What one column costs: a table of that column alone.
const single = [
  ['text, a distinct id on every row', 'VARCHAR', 'id'],
  ['text, 100,000 distinct values (user_id)', 'VARCHAR', 'user_id'],
  ['text, 5,000 distinct values (item_id)', 'VARCHAR', 'item_id'],
  ['text, one value on every row', 'VARCHAR', "'bench'"],
  ['timestamp', 'TIMESTAMP', 'ts'],
  ['double', 'DOUBLE', 'propensity'],
];
for (const [k, [label, type, value]] of single.entries()) {
  await c.run(`CREATE TABLE one_column_${k} (v ${type})`);
  statements.push([`one column: ${label}`, `INSERT INTO one_column_${k} SELECT ${value} FROM f`]);
}
const times = new Map(statements.map(([label]) => [label, []]));
for (let r = 0; r < rounds; r++) {
  await c.run('BEGIN TRANSACTION');
  for (const [label, sql] of statements) {
    const t = performance.now();
    const cpu = process.cpuUsage();
    await c.run(sql);
    const used = process.cpuUsage(cpu);
    times.get(label).push({ ms: performance.now() - t, cpu_ms: (used.user + used.system) / 1000 });
  }
  await c.run('ROLLBACK');
}
await store.close();
fs.rmSync(dir, { recursive: true, force: true });
log(`exposure schema: ${fmtInt(rows)} rows, ${rounds} rounds, compression ${compression}`);
console.log(
  table(
    ['INSERT', 'wall ms (each round)', 'CPU ms (each round)'],
    [...times].map(([label, ts]) => [label, ts.map((x) => fmtMs(x.ms)).join(' / '), ts.map((x) => fmtMs(x.cpu_ms)).join(' / ')]),
  ),
);
