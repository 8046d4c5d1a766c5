import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { ROOT, cli, cliAsync, freePort, outcome, post, spawnServer, tmpDir } from '../helpers.js';

describe('loopguard keys create', () => {
  it('prints the key alone on the last line of stdout, and the key works against the server', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'lg.duckdb');
    const r = cli(['keys', 'create', '--project', 'shop', '--db', db]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const key = lines[lines.length - 1]!;
    expect(key).toMatch(/^lg_[0-9a-f]{8}_[A-Za-z0-9_-]{32}$/);
    const port = await freePort();
    const s = await spawnServer(db, port);
    try {
      expect((await post(`${s.url}/v1/events`, key, [outcome()])).json).toMatchObject({ stored: 1 });
      // And while that server holds the store, a new key is made through it.
      const r2 = await cliAsync(['keys', 'create', '--project', 'other', '--db', db, '--format', 'json']);
      expect(r2.code).toBe(0);
      const made = JSON.parse(r2.stdout) as { project: string; key: string };
      expect(made.project).toBe('other');
      const stats = await fetch(`${s.url}/v1/projects/other/stats`, { headers: { authorization: `Bearer ${made.key}` } });
      expect(stats.status).toBe(200);
      const foreign = await fetch(`${s.url}/v1/projects/shop/stats`, { headers: { authorization: `Bearer ${made.key}` } });
      expect(foreign.status).toBe(403);
    } finally {
      s.child.kill('SIGTERM');
      await new Promise((r) => s.child.once('exit', r));
    }
    // SIGTERM stops cleanly and removes the discovery file.
    expect(fs.existsSync(`${db}.server.json`)).toBe(false);
  });

  it('says clearly when another process holds the store and no server answers for it', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'lg.duckdb');
    const holder = await DuckDbStore.open(db); // this test process holds the file lock
    try {
      const r = await cliAsync(['keys', 'create', '--project', 'shop', '--db', db]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(
        `loopguard: The store ${db} is in use by another process (PID ${process.pid}). Stop that process, or pass another --db. While 'loopguard serve' holds a store, CLI commands reach it through the server.`,
      );
    } finally {
      await holder.close();
    }
  });
});

describe('usage errors exit 2, help exits 0', () => {
  it.each([
    [['frobnicate'], "error: unknown command 'frobnicate'"],
    [['keys', 'create'], "error: required option '--project <name>' not specified"],
    [['ingest', 'x.csv', '--project', 'p'], "error: required option '--kind <kind>' not specified"],
    [['keys', 'create', '--project', 'p', '--format', 'yaml'], "loopguard: --format must be one of text, json (got 'yaml')"],
    [['serve', '--port', '70000'], "loopguard: --port must be a whole number from 0 to 65535 (got '70000')"],
    [['serve', '--port', ' '], "loopguard: --port must be a whole number from 0 to 65535 (got ' ')"],
    [['serve', '--host', '999.1.1.1', '--port', '0'], 'loopguard: --host 999.1.1.1 is not an address of this machine; pass one such as 127.0.0.1, 0.0.0.0 or ::1'],
    [['ingest', 'x.csv', '--kind', 'exposures', '--project', 'p', '--rejects', 'r.csv'], 'loopguard: --rejects names where --skip-bad writes the bad rows; pass --skip-bad with it'],
  ])('%j', (args, message) => {
    const r = cli(args, { cwd: tmpDir() });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(message);
  });

  it.each([
    [['loop-health', '--project', 'p']],
    [['ope', '--project', 'p']],
    [['drift', '--project', 'p', '--reference-window', '2026-01-01/2026-01-02', '--current-window', '2026-01-02/2026-01-03']],
    [['profile-decay', '--project', 'p']],
    [['eval-freshness', '--project', 'p', '--eval', 'eval.csv']],
  ])('an analysis of a store that does not exist: %j', (args) => {
    const dir = tmpDir();
    const db = path.join(dir, 'typo.duckdb');
    fs.writeFileSync(path.join(dir, 'eval.csv'), 'age\n30\n');
    const r = cli([...args, '--db', db], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      `loopguard: There is no store at ${db}: pass the store's file with --db (or $LOOPGUARD_DB), ingest logs into it first with loopguard ingest, or analyse a log file directly with --logs where the command offers it.`,
    );
    // and none is made
    expect(fs.readdirSync(dir)).toEqual(['eval.csv']);
  });

  it('--help', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ingest [options] <file>');
  });
});

describe('serve', () => {
  it('refuses a port in use with a clear message', async () => {
    const port = await freePort();
    const dir = tmpDir();
    const s = await spawnServer(path.join(dir, 'a.duckdb'), port);
    try {
      const r = await cliAsync(['serve', '--db', path.join(dir, 'b.duckdb'), '--port', String(port)]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(`loopguard: port ${port} on 127.0.0.1 is in use; pass another --port`);
    } finally {
      s.child.kill('SIGTERM');
      await new Promise((r) => s.child.once('exit', r));
    }
  });
});

describe('openapi', () => {
  it('docs/openapi.json is the document the code generates (regenerate: npx loopguard openapi > docs/openapi.json)', () => {
    const r = cli(['openapi']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(fs.readFileSync(path.join(ROOT, 'docs', 'openapi.json'), 'utf8')));
  });
});
