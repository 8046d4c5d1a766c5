/**
 * Starting and stopping the server that owns a store. While it runs, a discovery file next to the store
 * (<db>.server.json, mode 0600) tells local CLI commands where it listens and the admin token to use.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { DuckDbStore } from '../store/duckdb/store.js';
import { buildApp, type AppOptions } from './app.js';
import { discoveryPath, readDiscovery, type Discovery } from './discovery.js';

export interface ServeOptions extends Omit<AppOptions, 'store' | 'adminToken'> {
  dbPath: string;
  host?: string;
  port?: number;
}

export interface RunningServer {
  app: FastifyInstance;
  store: DuckDbStore;
  url: string;
  close(): Promise<void>;
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const store = await DuckDbStore.open(opts.dbPath);
  const adminToken = crypto.randomBytes(32).toString('base64url');
  const { app, ctx } = await buildApp({ ...opts, store, adminToken });
  let address: string;
  try {
    address = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 7070 });
  } catch (err) {
    await store.close();
    throw err;
  }
  const discovery: Discovery = { pid: process.pid, url: address, admin_token: adminToken, db: store.dbPath };
  fs.writeFileSync(discoveryPath(store.dbPath), JSON.stringify(discovery), { mode: 0o600 });
  let closed = false;
  return {
    app,
    store,
    url: address,
    async close() {
      if (closed) return;
      closed = true;
      // Analyses reading the store, or computing on the analysis thread, are interrupted (their requests get 503), so
      // closing waits only for the event batches in flight.
      await Promise.all([store.stopReads(), ctx.analyses.close()]);
      await app.close();
      await store.close();
      const d = readDiscovery(store.dbPath);
      if (d && d.pid === process.pid) fs.rmSync(discoveryPath(store.dbPath), { force: true });
    },
  };
}
