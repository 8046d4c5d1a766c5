import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { tmpDir } from '../helpers.js';

describe('DuckDbStore.close with a read under way', () => {
  it('interrupts the read, rejects it and closes, instead of closing the connection under it', async () => {
    const store = await DuckDbStore.open(path.join(tmpDir('lg-close-'), 'lg.duckdb'));
    // A scan that runs for minutes unless interrupted.
    const slow = store.query('SELECT sum(a.range * b.range) AS s FROM range(100000000) a, range(1000) b');
    const outcome = slow.then(
      () => 'finished',
      (err: Error) => err.message,
    );
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await store.close();
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(await outcome).toMatch(/interrupt/i);
    await expect(store.query('SELECT 1')).rejects.toThrow(/store is closing/);
  });

  it('reopens the file afterwards with its data', async () => {
    const file = path.join(tmpDir('lg-close-'), 'lg.duckdb');
    const a = await DuckDbStore.open(file);
    const key = await a.createApiKey('p');
    const slow = a.query('SELECT count(*) FROM range(100000000) a, range(1000) b').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    await a.close();
    await slow;
    const b = await DuckDbStore.open(file);
    expect(await b.projectForKey(key.key)).toBe('p');
    await b.close();
  });
});

describe('a stopping server', () => {
  it('interrupts an analysis reading the store instead of waiting for it, and still commits the batch in flight', async () => {
    const { startTestServer } = await import('../helpers.js');
    const server = await startTestServer();
    const key = await server.key('p');
    // The key is looked up once before the analysis starts (reads share one connection; lookups are cached).
    expect((await fetch(`${server.url}/v1/projects/p/stats`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    const slow = server.store.query('SELECT sum(a.range * b.range) FROM range(100000000) a, range(1000) b').then(
      () => 'finished',
      (err: Error) => err.message,
    );
    const body = JSON.stringify([{ type: 'outcome', event_id: 'o-1', ts: new Date().toISOString(), request_id: 'r-1', kind: 'click', value: 1 }]);
    const post = fetch(`${server.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
    const answer = await post;
    expect(answer.status).toBe(200);
    const t0 = Date.now();
    await server.close();
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(await slow).toMatch(/interrupt/i);
    const again = await DuckDbStore.open(path.join(server.dir, 'lg.duckdb'));
    expect((await again.query("SELECT count(*) AS n FROM outcomes WHERE project = 'p'"))[0]!.n).toBe(1);
    await again.close();
  });
});
