/**
 * `loopguard ope`: comparison of target files on the OBD random/men sample (every number recomputed here from the raw
 * CSV), the store and a running server giving the same answer, output formats, and refusals with exit 2.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASETS, cli, cliAsync, freePort, spawnServer, tmpDir } from '../helpers.js';

const OBD = path.join(DATASETS, 'obd', 'random', 'men.csv');
const lines = fs.readFileSync(OBD, 'utf8').trim().split('\n');
const header = lines[0]!.split(',');
const col = (name: string) => header.indexOf(name);
const rows = lines.slice(1).map((l) => {
  const c = l.split(',');
  return { item: c[col('item_id')]!, position: Number(c[col('position')]), click: Number(c[col('click')]), p: Number(c[col('propensity_score')]) };
});
const items = [...new Set(rows.map((r) => r.item))].sort((a, b) => Number(a) - Number(b));

// Targets: 'first' = always item 0 (wide file); 'pair' = half on item k % 34 and half on (k + 1) % 34 in round k, at
// position 1 only, and always item 5 at positions 2 and 3 (long file with positions).
const dir = tmpDir();
fs.writeFileSync(path.join(dir, 'first.csv'), ['round,' + items.join(','), ...rows.map((_, k) => `${k},` + items.map((i) => (i === '0' ? 1 : 0)).join(','))].join('\n'));
const pairOf = (k: number, pos: number): Record<string, number> =>
  pos === 1 ? { [items[k % 34]!]: 0.5, [items[(k + 1) % 34]!]: 0.5 } : { '5': 1 };
const pairLines = ['round,action,position,probability'];
rows.forEach((_, k) => [1, 2, 3].forEach((pos) => Object.entries(pairOf(k, pos)).forEach(([a, p]) => pairLines.push(`${k},${a},${pos},${p}`))));
fs.writeFileSync(path.join(dir, 'pair.csv'), pairLines.join('\n') + '\n');

function independent(pi: (k: number, pos: number) => Record<string, number>) {
  let swr = 0, sw = 0;
  rows.forEach((r, k) => {
    const w = (pi(k, r.position)[r.item] ?? 0) / r.p;
    swr += w * r.click;
    sw += w;
  });
  return { ipw: swr / rows.length, snipw: swr / sw };
}

const json = (stdout: string) => JSON.parse(stdout);
const find = (out: any, name: string, group: Record<string, string>) =>
  out.metrics.find((m: any) => m.name === name && Object.entries(group).every(([k, v]) => m.group?.[k] === v));

describe('loopguard ope', () => {
  it('compares uniform and two target files side by side, ranked, each equal to the raw-CSV computation', () => {
    const r = cli(['ope', '--logs', OBD, '--target', 'uniform', '--target-probs', path.join(dir, 'first.csv'), '--target-probs', `pair=${path.join(dir, 'pair.csv')}`,
      '--estimators', 'ipw,snipw', '--bootstrap', '200', '--format', 'json']);
    expect(r.stderr).toBe('');
    const out = json(r.stdout);
    expect(out.inputs.targets).toEqual(['uniform', 'first', 'pair']);
    const expected: Record<string, { ipw: number; snipw: number }> = {
      uniform: independent(() => Object.fromEntries(items.map((i) => [i, 1 / 34]))),
      first: independent(() => ({ '0': 1 })),
      pair: independent(pairOf),
    };
    for (const [name, e] of Object.entries(expected)) {
      expect(Math.abs(find(out, 'ipw', { target: name, interval: 'bootstrap' }).value - e.ipw)).toBeLessThan(1e-12);
      expect(Math.abs(find(out, 'snipw', { target: name, interval: 'normal' }).value - e.snipw)).toBeLessThan(1e-12);
    }
    // The uniform target on uniform-random logs is the logging policy itself: every weight is 1.
    expect(find(out, 'ess', { target: 'uniform' }).value).toBeCloseTo(10_000, 6);
    expect(find(out, 'lift_vs_logging', { target: 'uniform' }).value).toBeCloseTo(0, 12);
    const order = Object.keys(expected).sort((a, b) => expected[b]!.snipw - expected[a]!.snipw);
    order.forEach((name, k) => expect(find(out, 'rank', { target: name }).value).toBe(k + 1));
    expect(out.verdicts.find((v: any) => v.check === 'beats_logging').group).toEqual({ target: order[0] });
    expect(r.code).toBe(out.verdicts.some((v: any) => v.status === 'fail') ? 1 : 0);
  });

  it('gives the same result from the store file and through a running server that holds it', async () => {
    const d = tmpDir();
    const db = path.join(d, 'lg.duckdb');
    expect(cli(['ingest', OBD, '--kind', 'exposures', '--project', 'obd', '--db', db]).code).toBe(0);
    const args = ['ope', '--project', 'obd', '--db', db, '--target-probs', path.join(dir, 'first.csv'), '--estimators', 'ipw,dr', '--bootstrap', '50', '--format', 'json'];
    const local = cli(args);
    expect(local.stderr).toBe('');
    const s = await spawnServer(db, await freePort());
    try {
      const remote = await cliAsync(args);
      expect(remote.stderr).toBe('');
      expect(json(remote.stdout)).toEqual(json(local.stdout));
      expect(find(json(remote.stdout), 'ipw', { target: 'first', interval: 'normal' }).value).toBeCloseTo(independent(() => ({ '0': 1 })).ipw, 12);
      // A bad file is refused before anything is sent, naming the file.
      fs.writeFileSync(path.join(d, 'bad.csv'), 'round,0,1\n0,0.5,0.6\n');
      const bad = await cliAsync(['ope', '--project', 'obd', '--db', db, '--target-probs', path.join(d, 'bad.csv')]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(`--target-probs ${path.join(d, 'bad.csv')}: the probabilities of each (round, position) must sum to 1`);
    } finally {
      s.child.kill('SIGTERM');
      await new Promise((res) => s.child.once('exit', res));
    }
  });

  it('slate mode: iips and pbm per decision; on uniform-random logs both equal the on-policy value for the uniform target', () => {
    const logging = path.join(dir, 'logging.csv');
    fs.writeFileSync(logging, ['round,' + items.join(','), ...rows.map((_, k) => `${k},` + items.map(() => 1 / 34).join(','))].join('\n'));
    const r = cli(['ope', '--logs', OBD, '--slate', '--logging-probs', logging, '--bootstrap', '0', '--format', 'json']);
    expect(r.stderr).toBe('');
    const out = json(r.stdout);
    expect(out.inputs).toMatchObject({ unit: 'slate', estimators: ['iips', 'pbm'], decisions: 10_000 });
    const clicks = rows.reduce((s, x) => s + x.click, 0) / rows.length;
    // w = (1/34) / p with p = 1/34 as printed in the file (16 digits): independent arithmetic.
    const iips = rows.reduce((s, x) => s + (1 / 34 / x.p) * x.click, 0) / rows.length;
    expect(Math.abs(find(out, 'iips', { target: 'uniform' }).value - iips)).toBeLessThan(1e-12);
    expect(find(out, 'pbm', { target: 'uniform' }).value).toBeCloseTo(clicks, 6);
    expect(find(out, 'on_policy_value', {}).value).toBe(clicks);
    const bad = cli(['ope', '--logs', OBD, '--examination', '1,0.5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('loopguard: --examination and --logging-probs apply to --slate only\n');
  });

  it('renders text and a self-contained HTML report', () => {
    const text = cli(['ope', '--logs', OBD, '--estimators', 'ipw,snipw', '--bootstrap', '0']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^# ope\n/);
    expect(text.stdout).toContain('OK   effective_sample_size [target=uniform]');
    const html = cli(['ope', '--logs', OBD, '--estimators', 'ipw', '--bootstrap', '0', '--format', 'html']);
    expect(html.stdout.startsWith('<!doctype html>')).toBe(true);
    expect(html.stdout).not.toMatch(/<script|https?:\/\//);
  });

  it.each([
    [['--target', 'uniform'], 'loopguard: give either --project <name> (the store) or --logs <file>'],
    [['--logs', OBD, '--target', 'greedy'], "loopguard: --target takes 'uniform' (got 'greedy'); give other policies as --target-probs FILE"],
    [['--logs', OBD, '--target-probs', '/nonexistent/t.csv'], 'loopguard: --target-probs /nonexistent/t.csv: no such file'],
    [['--logs', '/nonexistent/logs.csv'], 'loopguard: --logs /nonexistent/logs.csv: no such file'],
    [['--logs', OBD, '--estimators', 'ipw,magic'], "loopguard: --estimators: unknown estimator 'magic'; choose from ipw, snipw, dm, dr, sndr, switch-dr, dr-os"],
    [['--logs', OBD, '--bootstrap', 'many'], "loopguard: --bootstrap must be a whole number of resamples from 0 to 100000 (got 'many')"],
    [['--logs', OBD, '--clip', '-1'], "loopguard: --clip must be a number > 0 (got '-1')"],
    [['--logs', OBD, '--clip', '0'], "loopguard: --clip must be a number > 0 (got '0')"],
    [['--logs', OBD, '--reward-model', 'forest'], "loopguard: --reward-model must be auto, logistic, ridge or none (got 'forest')"],
    [['--logs', OBD, '--format', 'xml'], "loopguard: --format must be one of text, json, html (got 'xml')"],
    [['--logs', OBD, '--target-probs', '__BAD__'], 'loopguard: --target-probs __BAD__: the probabilities of each (round, position) must sum to 1 within 0.000001; 1 do not: round 1 sums to 0.7 (line 3)'],
    [['--logs', OBD, '--bootstrap', '0', '--target-probs', '__SHORT__'], 'loopguard: --target-probs __SHORT__: no probabilities for round 2 at position 1; every logged round needs its target distribution'],
    [['--logs', OBD, '--context', 'user_feature_0', '--estimators', 'dm', '--bootstrap', '0'], "loopguard: context attribute 'user_feature_0' must be a number, but round 0 (request"],
  ])('refuses %j with exit 2', (args, message) => {
    const d = tmpDir();
    const bad = path.join(d, 'bad.csv');
    const short = path.join(d, 'short.csv');
    fs.writeFileSync(bad, 'round,0,1\n0,1,0\n1,0.3,0.4\n');
    fs.writeFileSync(short, 'round,0\n0,1\n1,1\n');
    const sub = (x: string) => x.replace('__BAD__', bad).replace('__SHORT__', short);
    const r = cli(['ope', ...args.map(sub)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(sub(message));
    expect(r.stdout).toBe('');
  });
});
