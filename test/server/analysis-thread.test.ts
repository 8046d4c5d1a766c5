/**
 * Off-policy evaluation runs on the server's analysis thread (src/server/analysis-worker.ts): while a long evaluation
 * (a cross-fitted reward model and thousands of bootstrap resamples) is being computed, the server keeps acknowledging
 * ingest and answering health checks; the evaluation's answer equals the library's; refusals raised on the thread come
 * back as 400 with their message; stopping the server interrupts a job (503).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ope } from '../../src/analyses/ope/index.js';
import { createRng } from '../../src/stats/rng.js';
import { ROOT, decision, outcome, post, startTestServer } from '../helpers.js';

let server: Awaited<ReturnType<typeof startTestServer>>;
let key: string;

// 3,000 decisions of 4 shown items out of 40, a numeric context x, clicks more likely for low items when x > 0.
const DECISIONS = 3000, SHOWN = 4, ITEMS = 40;

beforeAll(async () => {
  server = await startTestServer();
  key = await server.key('shop');
  const rng = createRng(11);
  let events: Record<string, unknown>[] = [];
  for (let d = 0; d < DECISIONS; d++) {
    const ts = new Date(Date.UTC(2026, 0, 2) + d * 1000).toISOString();
    const x = rng.normal();
    const start = rng.int(ITEMS - SHOWN);
    const shown = Array.from({ length: SHOWN }, (_, j) => ({ item_id: `i${start + j}`, position: j + 1, propensity: 0.25, explored: false }));
    events.push(decision({ request_id: `q${d}`, ts, attributes: { x }, shown }));
    for (const s of shown) if (rng.next() < (x > 0 ? 0.3 : 0.1) * (1 - (start / ITEMS) * 0.5)) events.push(outcome({ request_id: `q${d}`, item_id: s.item_id, ts }));
    if (events.length >= 2000) {
      expect((await post(`${server.url}/v1/events`, key, events)).status).toBe(200);
      events = [];
    }
  }
  if (events.length) expect((await post(`${server.url}/v1/events`, key, events)).status).toBe(200);
}, 120_000);
afterAll(async () => server.close());

const heavy = { context: ['x'], bootstrap: 60_000, seed: 1 };

describe('the analysis thread', () => {
  it('health and ingest are answered while an evaluation is being computed', async () => {
    const t0 = performance.now();
    let done = 0;
    const evaluation = post(`${server.url}/v1/projects/shop/ope`, key, heavy).then((r) => ((done = performance.now()), r));
    // Health checks every 50 ms while the evaluation runs, and one ingest request 500 ms in (by then the rounds, read in
    // well under that, are on the thread). On the event loop the evaluation would hold every answer until it is done.
    const answeredWhilePending: number[] = [];
    let ingestWhilePending = false;
    const late = (async () => {
      await new Promise((r) => setTimeout(r, 500));
      const res = await post(`${server.url}/v1/events`, key, [decision({ request_id: 'late', ts: '2026-01-05T00:00:00Z', attributes: { x: 0 } })]);
      expect(res.status).toBe(200);
      ingestWhilePending = done === 0;
    })();
    while (done === 0) {
      const sent = performance.now() - t0;
      const res = await fetch(`${server.url}/v1/health`);
      expect(res.status).toBe(200);
      if (done === 0) answeredWhilePending.push(sent);
      await new Promise((r) => setTimeout(r, 50));
    }
    await late;
    const res = await evaluation;
    expect(res.status).toBe(200);
    const took = done - t0;
    // The job is heavy enough to matter (seconds), and the server answered throughout it.
    expect(took).toBeGreaterThan(1500);
    expect(answeredWhilePending.filter((t) => t > 500).length).toBeGreaterThan(5);
    expect(ingestWhilePending).toBe(true);
  }, 180_000);

  it("the thread's answer equals the library's on the same rounds", async () => {
    const body = { context: ['x'], bootstrap: 300, seed: 2, until: '2026-01-05' };
    const viaThread = await post(`${server.url}/v1/projects/shop/ope`, key, body);
    expect(viaThread.status).toBe(200);
    const direct = await ope(server.store, { project: 'shop', context: ['x'], bootstrap: 300, seed: 2, until: '2026-01-05' });
    expect(viaThread.json).toEqual(JSON.parse(JSON.stringify(direct)));
    expect(viaThread.json.metrics.filter((m: any) => m.group?.interval === 'bootstrap').length).toBeGreaterThanOrEqual(7);
  }, 60_000);

  it('a refusal raised on the thread is a 400 with its message', async () => {
    // The attribute is missing from the decisions: found only while building the rounds, on the thread.
    const res = await post(`${server.url}/v1/projects/shop/ope`, key, { context: ['nope'], bootstrap: 0 });
    expect(res.status).toBe(400);
    expect(res.json.message).toMatch(/context attribute 'nope' is missing/);
    // The thread still serves the next request.
    const ok = await post(`${server.url}/v1/projects/shop/ope`, key, { bootstrap: 0, estimators: ['ipw'] });
    expect(ok.status).toBe(200);
  }, 60_000);

  it('an idle analysis thread does not keep the process alive, also after a job that could not be sent', () => {
    // The same OBD file the uniform-target tests use; IPW of the uniform target on random logs is the click rate (the
    // logging policy is uniform too), computed here from the raw CSV.
    const csv = fs.readFileSync(path.join(ROOT, '..', 'shared', 'datasets', 'obd', 'random', 'men.csv'), 'utf8').trim().split('\n');
    const col = csv[0]!.split(',').indexOf('click');
    const clicks = csv.slice(1).reduce((s, line) => s + Number(line.split(',')[col]), 0);
    const r = spawnSync(process.execPath, [path.join(ROOT, 'test', 'server', 'fixtures', 'analysis-thread-child.mjs'), ROOT], { encoding: 'utf8', timeout: 60_000 });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const [ipwLine, refusal] = r.stdout.trim().split('\n');
    expect(Number(ipwLine!.split(' ')[1])).toBeCloseTo(clicks / (csv.length - 1), 12);
    expect(refusal).toBe('refused DataCloneError');
  }, 90_000);

  // Last: it stops the server.
  it('stopping the server interrupts an evaluation on the thread: its request gets 503 with Retry-After', async () => {
    const evaluation = post(`${server.url}/v1/projects/shop/ope`, key, heavy);
    await new Promise((r) => setTimeout(r, 500));
    await server.close();
    const res = await evaluation;
    expect(res.status, JSON.stringify(res.json)).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
  }, 60_000);
});
