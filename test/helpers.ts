import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll } from 'vitest';
import type { ValidEvent } from '../src/events/validate.js';
import { startServer, type RunningServer } from '../src/server/serve.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'bin', 'loopguard.js');
export const DATASETS = path.resolve(ROOT, '..', 'shared', 'datasets');

export function tmpDir(prefix = 'lg-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A real server on a free loopback port, in this process. */
export async function startTestServer(options: { maxBatchEvents?: number; bodyLimit?: number; maxPendingEvents?: number; maxInFlight?: number } = {}): Promise<RunningServer & { dir: string; key(project: string): Promise<string> }> {
  const dir = tmpDir();
  const server = await startServer({ dbPath: path.join(dir, 'lg.duckdb'), port: 0, ...options });
  return Object.assign(server, {
    dir,
    key: async (project: string) => (await server.store.createApiKey(project)).key,
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (npm test builds dist/ first). */
export function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Writes `text` to a file `name` in a fresh folder and runs `loopguard ingest` on it into a fresh store there. */
export function ingestText(name: string, text: string | Buffer, kind: string, extra: (dir: string) => string[] = () => []) {
  const dir = tmpDir();
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  const db = path.join(dir, 'lg.duckdb');
  const r = cli(['ingest', file, '--kind', kind, '--project', 'p', '--db', db, ...extra(dir)]);
  return { dir, file, db, r };
}

/** Like cli(), without blocking this process's event loop (needed when a server runs in this process). */
export function cliAsync(args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Starts `loopguard serve` as a child process and resolves once it answers /v1/health. */
export async function spawnServer(dbPath: string, port: number, extra: string[] = []): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--db', dbPath, '--port', String(port), ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${err}`);
    try {
      const r = await fetch(`${url}/v1/health`);
      if (r.ok) return { child, url, stderr: () => err };
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`server did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function post(url: string, key: string | null, body: unknown, contentType = 'application/json'): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
}

let counter = 0;
export function decision(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return {
    type: 'decision',
    event_id: `d-${process.pid}-${counter}`,
    ts: '2026-01-02T03:04:05.678Z',
    request_id: `r-${counter}`,
    user_id: 'u1',
    surface: 'home',
    policy: 'ranker',
    policy_version: 'v1',
    strategy: 'personalized',
    shown: [
      { item_id: 'a', position: 1, propensity: 0.9, explored: false },
      { item_id: 'b', position: 2, propensity: 0.1, explored: true },
    ],
    ...overrides,
  };
}

/**
 * A validated one-item decision for DuckDbStore.writeEvents, as the drift tests build their stores: event `d<n>` of
 * request `r<n>` at tsMicros, by `user`, showing `item` at position 1 with propensity 0.5.
 */
export function oneItemDecision(n: number, tsMicros: number, user: string, attributes: Record<string, string | number>, item = 'a'): ValidEvent {
  return {
    type: 'decision', tsMicros,
    event: {
      type: 'decision', event_id: `d${n}`, ts: new Date(tsMicros / 1000).toISOString(), request_id: `r${n}`, user_id: user, surface: 's', policy: 'p',
      policy_version: 'v1', strategy: 'personalized', attributes,
      shown: [{ item_id: item, position: 1, propensity: 0.5, explored: false }],
    },
  } as ValidEvent;
}

export function outcome(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return { type: 'outcome', event_id: `o-${process.pid}-${counter}`, ts: '2026-01-02T03:04:06Z', request_id: 'r-1', item_id: 'a', kind: 'click', value: 1, ...overrides };
}

/**
 * An in-memory DuckDB connection for the tests of one file, in UTC like the store's connections: opened before them
 * and closed after. Returns its getter.
 */
export function memoryConnection(): () => DuckDBConnection {
  let instance: DuckDBInstance | undefined;
  let conn: DuckDBConnection | undefined;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
    await conn.run("SET TimeZone = 'UTC'");
  });
  afterAll(() => {
    conn?.closeSync();
    instance?.closeSync();
  });
  return () => conn!;
}
