/**
 * Diagnostic experiment (not part of `npm run bench`): how fast could the write path be if DuckDB parsed the request
 * bodies itself (C++ JSON reader, off the event loop) instead of JSON.parse + validate + JS column buffers +
 * DataChunk.setColumns? Writes the same events into a store made by the project's migrations (dist/), in group
 * commits of --commit events, with the bodies passed to DuckDB as one VARCHAR parameter and split with from_json.
 * Only structural typing is done in SQL here (no rule checks, no dedup anti-join): an upper bound, not a design.
 * With --lanes N, N connections commit at once, each taking the next group; the CPU time per event (all threads of
 * this process, DuckDB's included) bounds what DuckDB's own work leaves of the machine: at C cores, no write path that
 * stores these rows in DuckDB can exceed C / (CPU per event). Run with --events 1200000 or more so that checkpoints
 * (every 256 MB of WAL) are part of the figure.
 *
 * node bench/experiment-sql-json.js [--events 200000] [--commit 8000] [--lanes 1] [--mode read_json|from_json]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildBodies } from './http-ingest.js';
import { fmtInt, fmtMs, log, table, tmpDir } from './lib.js';
import { instrument } from './instrument.js';

const { DuckDbStore } = await import('../dist/store/duckdb/store.js');
const { OUTCOME_KEY_SQL } = await import('../dist/store/duckdb/tables.js');
const { EXPLORE_SQL } = await import('../dist/analyses/sql.js');

const { values } = parseArgs({ options: { events: { type: 'string' }, commit: { type: 'string' }, mode: { type: 'string' }, lanes: { type: 'string' } } });
// from_json: the bodies as one VARCHAR parameter; read_json: the bodies written to a file in /dev/shm, read by read_json.
const mode = values.mode ?? 'read_json';
const total = Number(values.events ?? 200_000);
const perCommit = Number(values.commit ?? 8000);
const size = 1000;
const lanes = Number(values.lanes ?? 1);

const dir = tmpDir('sqljson');
const store = await DuckDbStore.open(path.join(dir, 'e.duckdb'));
const c = store.writeConn;
const { bodies } = buildBodies({ nBatches: Math.ceil(total / size), size, runId: 'e', startSeq: 0, seed: 3 });
const strings = bodies.map((b) => b.toString('utf8'));
const shape = JSON.stringify([
  {
    type: 'VARCHAR', event_id: 'VARCHAR', ts: 'VARCHAR', request_id: 'VARCHAR', user_id: 'VARCHAR', session_id: 'VARCHAR',
    surface: 'VARCHAR', policy: 'VARCHAR', policy_version: 'VARCHAR', strategy: 'VARCHAR', attributes: 'JSON',
    shown: [{ item_id: 'VARCHAR', position: 'INTEGER', propensity: 'DOUBLE', score: 'DOUBLE', explored: 'BOOLEAN' }],
    item_id: 'VARCHAR', kind: 'VARCHAR', value: 'DOUBLE',
  },
]);
const conns = [c];
for (let k = 1; k < lanes; k++) conns.push(await store.connect());
for (const conn of conns)
  await conn.run('CREATE TEMP TABLE IF NOT EXISTS x_ev AS SELECT * FROM (SELECT unnest(from_json(\'[]\', \'' + shape + '\'), recursive := false) AS e) LIMIT 0');

const stats = new Map();
// Statement times overlap with more than one lane: their sum then exceeds the wall time.
for (const conn of conns) instrument(conn, stats);
const shmDir = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/lg-') : dir;
const columnsSql = `{${Object.entries(JSON.parse(shape)[0]).map(([k, t]) => `'${k}': '${typeof t === 'string' ? t : 'STRUCT(item_id VARCHAR, position INTEGER, propensity DOUBLE, score DOUBLE, explored BOOLEAN)[]'}'`).join(', ')}}`;
/** The columns and rows of the exposures (and, filtered, the explored exposures) of the decisions in x_ev. */
const EXPOSURES_FROM_X_EV = `(project, decision_id, request_id, ts, user_id, surface, policy, policy_version, strategy, item_id, position, propensity, score, explored, n_shown, outcome_key)
  SELECT 'bench', event_id, request_id, ts, user_id, surface, policy, policy_version, strategy, s.item_id, s.position, s.propensity, s.score, s.explored, n,
         ${OUTCOME_KEY_SQL('request_id', 's.item_id')}
  FROM (SELECT e.event_id, e.request_id, CAST(CAST(e.ts AS TIMESTAMPTZ) AS TIMESTAMP) AS ts, e.user_id, e.surface, e.policy, e.policy_version, e.strategy,
               len(e.shown) AS n, unnest(e.shown) AS s FROM x_ev WHERE e.type = 'decision') e`;
const perCommitBodies = Math.max(1, Math.floor(perCommit / size));
log(`sql-json (${mode}): ${fmtInt(total)} events, commits of ${perCommitBodies * size}`);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let commits = 0;
let next = 0;
async function lane(k) {
  const c = conns[k];
  const shmFile = path.join(shmDir, `batch-${k}.json`);
  while (next < strings.length) {
    const i = next;
    next += perCommitBodies;
    // Concatenating the bodies' arrays is string work only (no parse).
    const parts = strings.slice(i, i + perCommitBodies).map((s) => s.slice(1, -1));
    const body = `[${parts.join(',')}]`;
    await c.run('BEGIN TRANSACTION');
    await c.run('DELETE FROM x_ev');
    if (mode === 'from_json') await c.run(`INSERT INTO x_ev SELECT unnest(from_json($1, '${shape}'), recursive := false)`, [body]);
    else {
      fs.writeFileSync(shmFile, body);
      await c.run(`INSERT INTO x_ev SELECT r FROM read_json('${shmFile}', format = 'array', columns = ${columnsSql}) r`);
    }
    await c.run(`INSERT INTO decisions (project, event_id, ts, request_id, user_id, session_id, surface, policy, policy_version, strategy, attributes, n_shown)
                 SELECT 'bench', e.event_id, CAST(CAST(e.ts AS TIMESTAMPTZ) AS TIMESTAMP), e.request_id, e.user_id, e.session_id, e.surface, e.policy,
                        e.policy_version, e.strategy, e.attributes, len(e.shown) FROM x_ev WHERE e.type = 'decision'`);
    await c.run(`INSERT INTO exposures ${EXPOSURES_FROM_X_EV}`);
    // From this flush's rows (x_ev), as the store writes them: selecting them back from exposures would scan the table.
    await c.run(`INSERT INTO explored_exposures ${EXPOSURES_FROM_X_EV} WHERE ${EXPLORE_SQL.replace(/e\.explored/, 'e.s.explored')}`);
    await c.run(`INSERT INTO outcomes (project, event_id, ts, request_id, item_id, kind, value, outcome_key)
                 SELECT 'bench', e.event_id, CAST(CAST(e.ts AS TIMESTAMPTZ) AS TIMESTAMP), e.request_id, e.item_id, e.kind, e.value,
                        ${OUTCOME_KEY_SQL('e.request_id', 'e.item_id')} FROM x_ev WHERE e.type = 'outcome'`);
    await c.run('COMMIT');
    commits++;
  }
}
await Promise.all(conns.map((_, k) => lane(k)));
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const cpuUs = (cpu.user + cpu.system) / total;
const n = (await store.query("SELECT (SELECT count(*) FROM decisions) + (SELECT count(*) FROM outcomes) AS n"))[0].n;
for (const conn of conns.slice(1)) conn.closeSync();
await store.close();
fs.rmSync(dir, { recursive: true, force: true });
fs.rmSync(shmDir, { recursive: true, force: true });
if (Number(n) !== strings.length * size) throw new Error(`stored ${n}, expected ${strings.length * size}`);
console.log(table(['statement', 'calls', 'ms', 'us/event'], [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => [k, String(v.calls), fmtMs(v.ms), fmtMs((1000 * v.ms) / total)])));
console.log(`${fmtInt(total)} events in ${commits} commits: ${fmtMs(ms)} ms, ${fmtInt(total / (ms / 1000))} events/s, ${fmtMs((1000 * ms) / total)} us/event (DuckDB parses with ${mode}; no JS JSON.parse; ${lanes} lane${lanes > 1 ? 's' : ''})`);
const cores = os.availableParallelism();
console.log(`CPU ${cpuUs.toFixed(2)} us/event (all threads): at most ${fmtInt((cores * 1e6) / cpuUs)} events/s on ${cores} cores with nothing else to do`);
