/**
 * The drift commands while `loopguard serve` holds the store: the CLI sends the request (and the rows of its files)
 * to the server, and prints the same Result.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidEvent } from '../../src/events/validate.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { cliAsync, freePort, spawnServer, tmpDir } from '../helpers.js';

let dir: string, dbPath: string;
let server: { child: ChildProcess; url: string };

beforeAll(async () => {
  dir = tmpDir();
  dbPath = path.join(dir, 'lg.duckdb');
  const store = await DuckDbStore.open(dbPath);
  const events: ValidEvent[] = [];
  for (let d = 0; d < 4; d++)
    for (let k = 0; k < 50; k++) {
      const n = d * 50 + k, ts = Date.UTC(2026, 0, 1 + d, 0, k) * 1000;
      const attributes = { score: (d >= 2 ? 30 : 0) + (k % 25), tier: d >= 2 && k % 5 === 0 ? 'gold' : k % 2 ? 'a' : 'b' };
      events.push({ type: 'decision', tsMicros: ts, event: { type: 'decision', event_id: `d${n}`, ts: new Date(ts / 1000).toISOString(), request_id: `r${n}`, user_id: `u${k % 5}`, surface: 's', policy: 'p', policy_version: 'v1', strategy: 'personalized', attributes, shown: [{ item_id: `i${k % 3}`, position: 1, propensity: 0.5, explored: false }] } } as ValidEvent);
    }
  await store.writeEvents([{ project: 'shop', events }]);
  await store.close();
  server = await spawnServer(dbPath, await freePort());
});
afterAll(() => {
  server?.child.kill('SIGTERM');
});

describe('drift commands through a running server', () => {
  it('drift between windows, and a file against a window', async () => {
    const r = await cliAsync(['drift', '--project', 'shop', '--db', dbPath, '--reference-window', '2026-01-01/2026-01-03', '--current-window', '2026-01-03/2026-01-05', '--permutations', '19', '--format', 'json']);
    expect(r.code).toBe(1);
    const body = JSON.parse(r.stdout);
    expect(body.analysis).toBe('drift');
    expect(body.verdicts.find((v: any) => v.group?.column === 'score').status).toBe('fail');
    const file = path.join(dir, 'ref.csv');
    fs.writeFileSync(file, 'score,tier\n' + Array.from({ length: 40 }, (_, i) => `${i % 25},${i % 2 ? 'a' : 'b'}`).join('\n') + '\n');
    const f = await cliAsync(['drift', '--project', 'shop', '--db', dbPath, '--reference', file, '--current-window', '2026-01-01/2026-01-03', '--no-domain-classifier', '--format', 'json']);
    expect(f.code).toBe(0);
    expect(JSON.parse(f.stdout).inputs.reference).toBe('reference rows');
  });

  it('eval-freshness and profile-decay', async () => {
    const file = path.join(dir, 'eval.csv');
    fs.writeFileSync(file, 'score,tier\n' + Array.from({ length: 40 }, (_, i) => `${i % 25},${i % 2 ? 'a' : 'b'}`).join('\n') + '\n');
    const e = await cliAsync(['eval-freshness', '--eval', file, '--project', 'shop', '--db', dbPath, '--window', '2d', '--format', 'json']);
    expect(e.code).toBe(1);
    expect(JSON.parse(e.stdout).verdicts.find((v: any) => v.check === 'eval_coverage').status).toBe('fail');
    const d = await cliAsync(['profile-decay', '--project', 'shop', '--db', dbPath, '--events', 'exposures', '--threshold', 'alpha=0.01', '--format', 'json']);
    expect(d.code).toBe(0);
    expect(JSON.parse(d.stdout).inputs.alpha).toBe(0.01);
    const cats = path.join(dir, 'cats.csv');
    fs.writeFileSync(cats, 'item_id,category\ni0,x\ni1,x\ni2,y\n');
    const c = await cliAsync(['profile-decay', '--project', 'shop', '--db', dbPath, '--events', 'exposures', '--categories', cats, '--format', 'json']);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout).inputs.profile_over).toBe('categories');
  });
});
