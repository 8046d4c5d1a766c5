/**
 * Nothing that log() accepted is lost, and nothing is stored twice, while both the Loopguard server and the serving
 * process are killed with SIGKILL mid-stream: the server (a child `loopguard serve`) is killed and restarted several
 * times, the serving process (a child using the SDK client with a spool, test/sdk/fixtures/spool-writer.mjs) is
 * killed twice and restarted on the same spool, which it replays. At the end every accepted event_id is in the store
 * exactly once and the spool is empty. Uses dist/ (npm test builds it first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { createRng } from '../../src/stats/rng.js';
import { ROOT, freePort, spawnServer, tmpDir } from '../helpers.js';

const WRITER = path.join(ROOT, 'test', 'sdk', 'fixtures', 'spool-writer.mjs');
const SERVER_KILLS = 5;
const WRITER_KILLS_AFTER = new Set([1, 3]); // kill the writer right after these server kills

function startWriter(url: string, key: string, spool: string, acceptedFile: string, runId: string): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, [WRITER, url, key, spool, acceptedFile, runId], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const t = setInterval(() => {
      if (out.startsWith('ready')) {
        clearInterval(t);
        resolve({ child, out: () => out });
      } else if (child.exitCode !== null) {
        clearInterval(t);
        reject(new Error(`writer exited ${child.exitCode}: ${err}`));
      }
    }, 10);
  });
}

const exited = (c: ChildProcess) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)));

describe('spool durability', () => {
  it('every event log() accepted is stored exactly once across SIGKILLs of the server and of the serving process', async () => {
    const dir = tmpDir('lg-spool-durable-');
    const db = path.join(dir, 'lg.duckdb');
    const spool = path.join(dir, 'spool');
    const acceptedFile = path.join(dir, 'accepted.txt');
    const setup = await DuckDbStore.open(db);
    const key = (await setup.createApiKey('spooled')).key;
    await setup.close();

    const port = await freePort();
    let server = await spawnServer(db, port);
    const url = `http://127.0.0.1:${port}`;
    let run = 0;
    let writer = await startWriter(url, key, spool, acceptedFile, `w${run}`);
    const rng = createRng(77);
    let writerKills = 0;
    for (let k = 1; k <= SERVER_KILLS; k++) {
      await new Promise((r) => setTimeout(r, 300 + rng.int(400)));
      server.child.kill('SIGKILL');
      await exited(server.child);
      // The writer keeps logging into its spool while the server is down.
      await new Promise((r) => setTimeout(r, 100 + rng.int(200)));
      if (WRITER_KILLS_AFTER.has(k)) {
        writer.child.kill('SIGKILL');
        await exited(writer.child);
        writerKills++;
        writer = await startWriter(url, key, spool, acceptedFile, `w${++run}`);
      }
      server = await spawnServer(db, port);
    }
    await new Promise((r) => setTimeout(r, 300));
    writer.child.kill('SIGTERM');
    await exited(writer.child);
    const stats = JSON.parse(writer.out().slice('ready\n'.length)) as { replayed: number; pending: number; dropped: Record<string, number> };
    server.child.kill('SIGTERM');
    await exited(server.child);

    expect(writerKills).toBe(2);
    expect(stats.pending).toBe(0);
    expect(stats.dropped).toEqual({ overflow: 0, invalid: 0, retries: 0, closed: 0 });
    expect(fs.readdirSync(spool).filter((f) => f.endsWith('.ndjson'))).toEqual([]);
    const accepted = fs.readFileSync(acceptedFile, 'utf8').split('\n').filter(Boolean);
    expect(new Set(accepted).size).toBe(accepted.length);
    expect(accepted.length).toBeGreaterThan(2000);

    const store = await DuckDbStore.open(db);
    try {
      const rows = await store.query(
        `SELECT event_id, count(*) AS n FROM decisions WHERE project = 'spooled' GROUP BY event_id
         UNION ALL SELECT event_id, count(*) AS n FROM outcomes WHERE project = 'spooled' GROUP BY event_id`,
      );
      const count = new Map(rows.map((r) => [String(r.event_id), Number(r.n)]));
      const missing = accepted.filter((id) => !count.has(id));
      expect(missing).toEqual([]);
      expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
      // Decisions kept their slates: 3 exposures each, no more.
      const exp = await store.query(
        `SELECT count(*) AS n, count(DISTINCT decision_id) AS d FROM exposures WHERE project = 'spooled'`,
      );
      expect(Number(exp[0]!.n)).toBe(3 * Number(exp[0]!.d));
      process.stderr.write(
        `spool durability: ${accepted.length} accepted, ${count.size} stored, ${writerKills} writer kills, ${SERVER_KILLS} server kills, last run replayed ${stats.replayed}\n`,
      );
    } finally {
      await store.close();
    }
  }, 120_000);
});
