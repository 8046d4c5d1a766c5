/**
 * `loopguard demo` (what `npm start` runs): builds the demo store from the simulator on the first run (with a progress
 * bar on stderr), reuses it afterwards, and serves it with the dashboard. The keys of the demo projects ride in the
 * dashboard URL's fragment (#keys=...), which never reaches the server's logs.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../store/store.js';
import { dbPathOf, wholeNumberOption } from './common.js';
import { progressBar } from './progress.js';
import { serveUntilSignal } from './serve.js';
import { DEMO_DEFAULTS } from '../sim/demo.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('build (first run) and serve the demo store: a simulated recommender poisoning its own data, and the guarded cure')
    .option('--db <path>', 'store file (default ./.loopguard/loopguard.duckdb or $LOOPGUARD_DB)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '7070')
    .option('--rebuild', 'build the demo store again (deletes the old demo store)')
    .option('--days <n>', `simulated days of a new demo store (default ${DEMO_DEFAULTS.days})`)
    .option('--users <n>', `users of a new demo store (default ${DEMO_DEFAULTS.users})`)
    .option('--items <n>', `items of a new demo store (default ${DEMO_DEFAULTS.items})`)
    .option('--seed <n>', `seed of a new demo store (default ${DEMO_DEFAULTS.seed})`)
    .action(async (o: { db?: string; host: string; port: string; rebuild?: boolean; days?: string; users?: string; items?: string; seed?: string }) => {
      const dbPath = dbPathOf(o.db);
      const p = wholeNumberOption('--port', o.port, 0, 65535)!;
      const size: { days?: number; users?: number; items?: number; seed?: number } = {};
      for (const k of ['days', 'users', 'items', 'seed'] as const) {
        const n = wholeNumberOption(`--${k}`, o[k], 0);
        if (n !== undefined) size[k] = n;
      }
      const { buildDemoStore, loadDemoInfo, demoInfoPath } = await import('../sim/demo.js');
      // <store file>.demo.json, or a demo.json of this store left in its folder by an earlier version (moved over).
      let info = await loadDemoInfo(dbPath);
      if (o.rebuild) {
        if (fs.existsSync(dbPath) && !info) throw new UserError(`${dbPath} is not a demo store (no ${demoInfoPath(dbPath)}); --rebuild only replaces a demo store`);
        for (const f of [dbPath, `${dbPath}.wal`, demoInfoPath(dbPath)]) fs.rmSync(f, { force: true });
        info = null;
      }
      if (!info || !fs.existsSync(dbPath)) {
        const existed = fs.existsSync(dbPath);
        process.stderr.write(existed ? `Adding the demo projects to the store ${dbPath} (first run only)...\n` : `Building the demo store in ${dbPath} (first run only)...\n`);
        const bar = progressBar('demo');
        const t0 = Date.now();
        try {
          info = await buildDemoStore({ dbPath, ...size, onProgress: bar.onProgress });
        } catch (err) {
          // A half-built new store is removed; an existing store keeps what it had (the demo projects are not there).
          if (!existed) for (const f of [dbPath, `${dbPath}.wal`]) fs.rmSync(f, { force: true });
          throw err;
        } finally {
          bar.stop();
        }
        process.stderr.write(`Demo store built in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${info.projects.map((x) => x.project).join(', ')}.\n`);
      }
      // The dashboard's summaries are computed at start, so the demo's first page is served from them.
      const server = await serveUntilSignal({ dbPath, host: o.host, port: p, dashboard: { prewarm: true } }, 'closing the store');
      const keys = info.projects.map((x) => x.key);
      process.stderr.write(`Loopguard serving the demo store ${dbPath} on ${server.url}. Ctrl-C stops it.\n`);
      process.stderr.write(`Dashboard: ${server.url}/#keys=${keys.join(',')}\n`);
    });
}
