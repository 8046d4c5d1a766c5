/**
 * `loopguard simulate` and `loopguard demo` as users run them (the built CLI, real child processes).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cliAsync, tmpDir } from '../helpers.js';
import type { Result } from '../../src/analyses/result.js';

const SMALL = ['--days', '3', '--users', '60', '--items', '40'];

describe('loopguard simulate', () => {
  it('prints the Result shape: every metric per loop and day, and loop-health verdicts per loop', async () => {
    const r = await cliAsync(['simulate', ...SMALL, '--seed', '3', '--format', 'json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as Result;
    expect(result.analysis).toBe('simulation');
    expect(result.metrics).toHaveLength(5 * 6 * 3);
    const keys = new Set(result.metrics.map((m) => `${m.name}/${m.group!.loop}/${m.group!.day}`));
    expect(keys.size).toBe(90);
    expect([...new Set(result.metrics.map((m) => m.group!.day))]).toEqual(['2025-01-01', '2025-01-02', '2025-01-03']);
    expect(new Set(result.verdicts.map((v) => v.group!.loop))).toEqual(new Set(['naive', 'guarded', 'random', 'popularity', 'oracle']));
  }, 120_000);

  it('refuses bad input with exit 2 and the flag named', async () => {
    const a = await cliAsync(['simulate', '--days', '1']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--days must be a whole number from 2 to 365/);
    const b = await cliAsync(['simulate', ...SMALL, '--habit-rate', 'lots']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--habit-rate must be a number \(got 'lots'\)/);
    const c = await cliAsync(['simulate', ...SMALL, '--drift-share', '2']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/driftShare must be in \[0, 1\]/);
  }, 60_000);
});

/** Starts `loopguard demo`, resolves with its dashboard URL and stderr once it serves. */
function startDemo(args: string[]): Promise<{ url: string; keys: string[]; stderr: string; stop: () => Promise<string> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'demo', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`demo did not start: ${err}`))), 110_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /Dashboard: (http:\/\/127\.0\.0\.1:\d+)\/#keys=([^\s]+)\n/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1]!, keys: m[2]!.split(','), stderr: err,
          // Resolves with how it ended and what it said (for the assertion message).
          stop: () => new Promise((res) => (child.once('exit', (code, signal) => res(`exit ${code} ${signal ?? ''}`.trim() + (code === 0 ? '' : `: ${err}`))), child.kill('SIGTERM'))),
        });
      }
    });
    child.on('exit', (code) => (clearTimeout(timer), reject(new Error(`demo exited with ${code}: ${err}`))));
  });
}

describe('loopguard demo', () => {
  it('builds the demo store once, serves it with one working key per project, and reuses it', async () => {
    const dir = tmpDir('lg-demo-');
    const db = path.join(dir, 'lg.duckdb');
    const first = await startDemo(['--db', db, '--port', '0', ...SMALL]);
    try {
      expect(first.stderr).toMatch(/Building the demo store/);
      // The keys are kept beside the store, one file per store.
      const infoFile = `${db}.demo.json`;
      const info = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as { projects: Array<{ project: string; key: string }>; main: string };
      expect(fs.statSync(infoFile).mode & 0o777).toBe(0o600);
      expect(fs.existsSync(path.join(dir, 'demo.json'))).toBe(false);
      expect(info.main).toBe('demo-naive');
      expect(info.projects.map((p) => p.project)).toEqual(['demo-naive', 'demo-guarded', 'demo-random', 'demo-popularity', 'demo-oracle']);
      expect(first.keys).toEqual(info.projects.map((p) => p.key));
      for (const p of info.projects) {
        const res = await fetch(`${first.url}/v1/projects/${p.project}/stats`, { headers: { authorization: `Bearer ${p.key}` } });
        expect(res.status).toBe(200);
        const stats = (await res.json()) as { totals: { decision: number }; by_day: unknown[] };
        expect(stats.totals.decision).toBeGreaterThan(0);
        expect(stats.by_day).toHaveLength(3);
      }
      // The demo logs the request context as decision attributes, so the dashboard's drift has columns to watch.
      const res = await fetch(`${first.url}/v1/projects/demo-naive/dashboard/analyses/drift`, { headers: { authorization: `Bearer ${info.projects[0]!.key}` } });
      expect(res.status).toBe(200);
      const drift = (await res.json()) as { result: Result };
      expect(drift.result.inputs.columns).toBe(6);
      expect(new Set(drift.result.verdicts.map((v) => v.group?.column).filter(Boolean))).toEqual(new Set(['segment', 'device', 'tenure_days', 'new_user', 'hour', 'visits_7d']));
    } finally {
      expect(await first.stop()).toBe('exit 0');
    }
    // A store of an earlier version kept its keys in <store dir>/demo.json: the next start moves them beside the store.
    fs.renameSync(`${db}.demo.json`, path.join(dir, 'demo.json'));
    const second = await startDemo(['--db', db, '--port', '0']);
    try {
      expect(second.stderr).not.toMatch(/Building/);
      expect(second.keys).toEqual(first.keys);
      expect(fs.existsSync(path.join(dir, 'demo.json'))).toBe(false);
      expect(fs.statSync(`${db}.demo.json`).mode & 0o777).toBe(0o600);
    } finally {
      expect(await second.stop()).toBe('exit 0');
    }
  }, 240_000);
});
