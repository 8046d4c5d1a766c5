import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASETS, cli, cliAsync, freePort, spawnServer, tmpDir } from '../helpers.js';

const OBD = path.join(DATASETS, 'obd', 'random', 'women.csv');

describe('loopguard loop-health', () => {
  it('runs on a project held by a running server, with a catalog, offline metrics and thresholds from files', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'lg.duckdb');
    expect(cli(['ingest', OBD, '--kind', 'exposures', '--project', 'obd', '--db', db, '--set', 'policy_version=v1,strategy=exploration,explored=true']).code).toBe(0);
    fs.writeFileSync(`${dir}/catalog.json`, JSON.stringify(Array.from({ length: 92 }, (_, i) => String(i))));
    fs.writeFileSync(`${dir}/offline.csv`, 'policy_version,metric,value\nv1,auc,0.7\n');
    fs.writeFileSync(`${dir}/config.json`, JSON.stringify({ thresholds: { coverage_min: 0.9 } }));
    const s = await spawnServer(db, await freePort());
    try {
      const r = await cliAsync(['loop-health', '--project', 'obd', '--db', db, '--catalog', `${dir}/catalog.json`, '--offline', `${dir}/offline.csv`, '--config', `${dir}/config.json`, '--format', 'json']);
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout);
      expect(out.inputs).toMatchObject({ catalog_source: 'file', catalog_size: 92 });
      // The women campaign shows 46 items: half of a 92-item catalog, under the 0.9 floor set in the config.
      expect(out.metrics.find((m: any) => m.name === 'coverage').value).toBe(0.5);
      expect(out.verdicts.find((v: any) => v.check === 'coverage')).toMatchObject({ status: 'warn', threshold: 0.9 });
      expect(out.metrics.find((m: any) => m.name === 'offline_metric')).toMatchObject({ value: 0.7, group: { policy_version: 'v1', metric: 'auc' } });
      expect(r.code).toBe(0); // warnings do not fail a build
    } finally {
      s.child.kill('SIGTERM');
      await new Promise((r) => s.child.once('exit', r));
    }
  });

  it('writes a self-contained HTML report', () => {
    const r = cli(['loop-health', '--logs', OBD, '--format', 'html']);
    expect(r.code).toBe(1); // no exploration marked: a failing check
    expect(r.stdout.startsWith('<!doctype html>')).toBe(true);
    expect(r.stdout).toContain('exploration_present');
    expect(r.stdout).not.toMatch(/<script|https?:\/\//);
  });

  it.each([
    [['--logs', OBD, '--project', 'x'], 'loopguard: give either --project <name> (the store) or --logs <file>'],
    [['--logs', OBD, '--window', 'month'], "loopguard: --window must be day, week or none (got 'month')"],
    [['--logs', OBD, '--by', 'colour'], "loopguard: --by takes policy_version, policy, surface, strategy or none (got 'colour')"],
    [['--logs', OBD, '--min-outcomes', '0'], "loopguard: --min-outcomes must be a whole number of at least 1 (got '0')"],
    [['--logs', OBD, '--catalog', '/nonexistent/catalog.csv'], 'loopguard: --catalog /nonexistent/catalog.csv: no such file'],
    [['--logs', OBD, '--config', '__CONFIG_UNKNOWN__'], "unknown threshold 'coverage'; known: exploration_share_min, coverage_min, gini_rise_max, top_slot_outcome_share_max, starved_item_share_max, confidence"],
    [['--logs', OBD, '--offline', '__OFFLINE_BAD__'], 'line 3: value must be a finite number (got "high")'],
    [['--logs', OBD, '--catalog', '__CATALOG_NO_ID__'], 'expected a CSV with an item_id column, or one id per line (the first line has the columns id, name)'],
  ])('refuses %j with exit 2', (args, message) => {
    const dir = tmpDir();
    fs.writeFileSync(`${dir}/cat.csv`, 'id,name\n1,a\n2,b\n');
    fs.writeFileSync(`${dir}/c.json`, JSON.stringify({ thresholds: { coverage: 0.3 } }));
    fs.writeFileSync(`${dir}/o.csv`, 'policy_version,metric,value\nv1,auc,0.7\nv2,auc,high\n');
    const files: Record<string, string> = { __CONFIG_UNKNOWN__: `${dir}/c.json`, __OFFLINE_BAD__: `${dir}/o.csv`, __CATALOG_NO_ID__: `${dir}/cat.csv` };
    const a = args.map((x) => files[x] ?? x);
    const r = cli(['loop-health', ...a]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().endsWith(message)).toBe(true);
  });
});
