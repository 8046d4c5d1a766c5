/**
 * examples/recommender-service against a real Loopguard server: one recommendation and one click end up in the store
 * exactly as the service answered them. The service runs as a child process from the built dist/ (via the package's
 * own `loopguard/sdk` export), the way its README runs it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, freePort, startTestServer, tmpDir } from '../helpers.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;
let server: Server;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.close());

describe('examples/recommender-service', () => {
  it('serves a slate, logs it as a decision with its propensities, and logs a click', async () => {
    const key = await server.key('shop');
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(ROOT, 'examples', 'recommender-service', 'server.js')], {
      cwd: ROOT,
      env: { ...process.env, LOOPGUARD_URL: server.url, LOOPGUARD_KEY: key, PORT: String(port), SPOOL_DIR: path.join(tmpDir(), 'spool') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`service exited: ${err}`);
      try {
        if ((await fetch(`${base}/healthz`)).ok) break;
      } catch {
        /* not up yet */
      }
      if (i > 300) throw new Error(`service did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const rec = (await (await fetch(`${base}/recommendations?user_id=u-42&n=5&surface=home`)).json()) as {
      request_id: string;
      strategy: string;
      items: Array<{ item_id: string; position: number; propensity: number; explored: boolean }>;
    };
    expect(rec.items).toHaveLength(5);
    const click = await fetch(`${base}/events/click`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request_id: rec.request_id, user_id: 'u-42', item_id: rec.items[0]!.item_id }),
    });
    expect(click.status).toBe(200);
    child.kill('SIGTERM'); // graceful: the service flushes its client before exiting
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(err).toMatch(/2 events acknowledged, 0 left in the spool/);

    const d = await server.store.query(`SELECT user_id, surface, strategy, n_shown FROM decisions WHERE project = 'shop' AND request_id = $1`, [rec.request_id]);
    expect(d).toEqual([{ user_id: 'u-42', surface: 'home', strategy: rec.strategy, n_shown: 5 }]);
    const exp = await server.store.query(
      `SELECT item_id, position, propensity, explored FROM exposures WHERE project = 'shop' AND request_id = $1 ORDER BY position`,
      [rec.request_id],
    );
    expect(exp).toEqual(rec.items.map(({ item_id, position, propensity, explored }) => ({ item_id, position, propensity, explored })));
    const o = await server.store.query(`SELECT item_id, kind, value FROM outcomes WHERE project = 'shop' AND request_id = $1`, [rec.request_id]);
    expect(o).toEqual([{ item_id: rec.items[0]!.item_id, kind: 'click', value: 1 }]);
  });
});
