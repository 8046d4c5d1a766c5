/**
 * An acknowledged event is never lost and nothing is stored twice: a client streams batches (retrying every batch
 * until it is acknowledged, as the SDK does) while the real server process is killed with SIGKILL again and again.
 */
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { createRng } from '../../src/stats/rng.js';
import { freePort, spawnServer, tmpDir } from '../helpers.js';

const KILLS = 8;
const BATCH = 100;
const CONCURRENCY = 4;

function makeBatch(b: number): unknown[] {
  return Array.from({ length: BATCH }, (_, i) =>
    i % 2 === 0
      ? {
          type: 'decision', event_id: `d-${b}-${i}`, ts: '2026-03-01T12:00:00Z', request_id: `r-${b}-${i}`, user_id: `u${i % 7}`,
          surface: 'home', policy: 'p', policy_version: 'v1', strategy: 'personalized',
          shown: [{ item_id: `item-${i}`, position: 1, propensity: 0.5, explored: false }, { item_id: `item-${i + 1}`, position: 2, propensity: 0.25, explored: true }],
        }
      : { type: 'outcome', event_id: `o-${b}-${i}`, ts: '2026-03-01T12:00:01Z', request_id: `r-${b}-${i - 1}`, item_id: `item-${i - 1}`, kind: 'click', value: 1 },
  );
}

describe('durability under SIGKILL', () => {
  it('keeps every acknowledged event exactly once across repeated kills and client retries', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'lg.duckdb');
    const setup = await DuckDbStore.open(db);
    const key = (await setup.createApiKey('durable')).key;
    await setup.close();

    const port = await freePort();
    let server: { child: ChildProcess; url: string } = await spawnServer(db, port);
    const acked = new Set<number>();
    let attempts = 0, failures = 0, duplicateAcks = 0;
    let nextBatch = 0;
    let stopSending = false;

    const sendUntilAcked = async (b: number) => {
      const body = JSON.stringify(makeBatch(b));
      for (;;) {
        attempts++;
        try {
          const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            body,
          });
          if (res.status === 200) {
            const r = (await res.json()) as { stored: number; duplicates: number };
            expect(r.stored + r.duplicates).toBe(BATCH);
            if (r.duplicates) duplicateAcks++;
            acked.add(b);
            return;
          }
          await res.arrayBuffer();
        } catch {
          // connection refused or reset: the server is down; retry the same batch
        }
        failures++;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const worker = async () => {
      while (!stopSending) await sendUntilAcked(nextBatch++);
    };
    const workers = Array.from({ length: CONCURRENCY }, worker);

    const rng = createRng(2026);
    for (let k = 0; k < KILLS; k++) {
      await new Promise((r) => setTimeout(r, 250 + rng.int(500)));
      server.child.kill('SIGKILL');
      await new Promise((r) => server.child.once('exit', r));
      server = await spawnServer(db, port);
    }
    await new Promise((r) => setTimeout(r, 300));
    stopSending = true;
    await Promise.all(workers);
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));

    const sent = nextBatch;
    expect(acked.size).toBe(sent);
    expect(sent).toBeGreaterThan(KILLS * 2);
    // The kills must have hit the stream: some sends failed and had to be retried.
    expect(failures).toBeGreaterThan(0);

    const store = await DuckDbStore.open(db);
    try {
      const count = async (sql: string) => Number((await store.query(sql))[0]!.n);
      const decisions = await count(`SELECT count(*) AS n FROM decisions WHERE project = 'durable'`);
      const distinctDecisions = await count(`SELECT count(DISTINCT event_id) AS n FROM decisions WHERE project = 'durable'`);
      const outcomes = await count(`SELECT count(*) AS n FROM outcomes WHERE project = 'durable'`);
      const distinctOutcomes = await count(`SELECT count(DISTINCT event_id) AS n FROM outcomes WHERE project = 'durable'`);
      const exposures = await count(`SELECT count(*) AS n FROM exposures WHERE project = 'durable'`);
      expect({ decisions, distinctDecisions, outcomes, distinctOutcomes, exposures }).toEqual({
        decisions: (sent * BATCH) / 2,
        distinctDecisions: (sent * BATCH) / 2,
        outcomes: (sent * BATCH) / 2,
        distinctOutcomes: (sent * BATCH) / 2,
        exposures: sent * BATCH,
      });
      // Every acknowledged batch is there in full.
      const perBatch = await store.query(
        `SELECT split_part(event_id, '-', 2) AS b, count(*) AS n FROM decisions WHERE project = 'durable' GROUP BY b`,
      );
      expect(perBatch.length).toBe(sent);
      expect(perBatch.every((r) => Number(r.n) === BATCH / 2)).toBe(true);
    } finally {
      await store.close();
    }
    process.stderr.write(`durability: ${sent} batches, ${attempts} attempts, ${failures} failed sends, ${duplicateAcks} acks with duplicates\n`);
  }, 180_000);
});
