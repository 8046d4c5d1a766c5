import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { cli, DATASETS, tmpDir } from '../helpers.js';

const COMPAS = path.join(DATASETS, 'compas', 'compas-scores-two-years.csv');
let dir: string;

beforeAll(async () => {
  // Subsets of COMPAS written to a temporary directory (the data stays out of the repository).
  dir = tmpDir();
  const db = await DuckDbStore.open(':memory:');
  const sel = `SELECT decile_score, age, sex, priors_count FROM read_csv('${COMPAS}', header = true)`;
  await db.query(`COPY (${sel} WHERE race = 'African-American') TO '${path.join(dir, 'aa.csv')}'`);
  await db.query(`COPY (${sel} WHERE race = 'Caucasian') TO '${path.join(dir, 'cau.parquet')}' (FORMAT parquet)`);
  await db.query(`COPY (${sel} WHERE race = 'African-American' AND id % 2 = 0) TO '${path.join(dir, 'aa-even.csv')}'`);
  await db.query(`COPY (${sel} WHERE race = 'African-American' AND id % 2 = 1) TO '${path.join(dir, 'aa-odd.jsonl')}'`);
  await db.close();
});

describe('loopguard drift (files)', () => {
  it('exits 1 when a column drifted and names the test and threshold per column', () => {
    const r = cli(['drift', '--reference', path.join(dir, 'aa.csv'), '--current', path.join(dir, 'cau.parquet'), '--columns', 'decile_score,sex', '--no-domain-classifier', '--format', 'json']);
    expect(r.code).toBe(1);
    const body = JSON.parse(r.stdout);
    expect(body.inputs.tests.decile_score).toMatchObject({ type: 'numeric', test: 'wasserstein_norm', threshold: 0.1 });
    expect(body.verdicts.find((v: any) => v.group?.column === 'decile_score').status).toBe('fail');
  });

  it('exits 0 on two halves of one group, and honours --test and --threshold', () => {
    const r = cli(['drift', '--reference', path.join(dir, 'aa-even.csv'), '--current', path.join(dir, 'aa-odd.jsonl'), '--test', 'decile_score=ks', '--threshold', 'ks=0.01,drift_share=0.9', '--no-domain-classifier', '--format', 'json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.inputs.tests.decile_score).toMatchObject({ test: 'ks', threshold: 0.01, why: 'chosen by the user' });
    expect(body.verdicts.find((v: any) => v.check === 'dataset_drift').threshold).toBe(0.9);
  });

  it('renders text and html', () => {
    const t = cli(['drift', '--reference', path.join(dir, 'aa.csv'), '--current', path.join(dir, 'cau.parquet'), '--columns', 'age', '--no-domain-classifier']);
    expect(t.stdout).toMatch(/FAIL column_drift \[column=age\]: age drifted: Wasserstein distance/);
    // 100% printed as 100, not 1 (zeros trimmed only after a decimal point).
    expect(t.stdout).toMatch(/1 of 1 columns drifted \(100% >= 50%\)/);
    const h = cli(['drift', '--reference', path.join(dir, 'aa.csv'), '--current', path.join(dir, 'cau.parquet'), '--columns', 'age', '--no-domain-classifier', '--format', 'html']);
    expect(h.stdout).toMatch(/^<!doctype html>/);
  });

  it('exits 2 with the file or column named on bad input', () => {
    const missing = cli(['drift', '--reference', path.join(dir, 'nope.csv'), '--current', path.join(dir, 'aa.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--reference .*nope\.csv: no such file/);
    const col = cli(['drift', '--reference', path.join(dir, 'aa.csv'), '--current', path.join(dir, 'cau.parquet'), '--columns', 'zzz']);
    expect(col.code).toBe(2);
    expect(col.stderr).toMatch(/column zzz cannot be compared in the reference .*aa\.csv/);
    const test = cli(['drift', '--reference', path.join(dir, 'aa.csv'), '--current', path.join(dir, 'cau.parquet'), '--test', 'sex=ks']);
    expect(test.code).toBe(2);
    expect(test.stderr).toMatch(/column sex is binary; the test ks applies to numeric columns only/);
    const thr = cli(['drift', '--reference', path.join(dir, 'aa.csv'), '--current', path.join(dir, 'cau.parquet'), '--threshold', 'ks=2']);
    expect(thr.code).toBe(2);
    const bad = path.join(dir, 'bad.txt');
    fs.writeFileSync(bad, 'x');
    const type = cli(['drift', '--reference', path.join(dir, 'aa.csv'), '--current', bad.replace('.txt', '.xlsx')]);
    expect(type.code).toBe(2);
    const seed = cli(['drift', '--reference', path.join(dir, 'aa.csv'), '--current', path.join(dir, 'cau.parquet'), '--seed', '1.5']);
    expect(seed.code).toBe(2);
    expect(seed.stderr).toMatch(/--seed must be a whole number \(got '1\.5'\)/);
    const few = cli(['drift', '--reference', path.join(dir, 'aa.csv'), '--current', path.join(dir, 'cau.parquet'), '--permutations', '5']);
    expect(few.code).toBe(2);
    expect(few.stderr).toMatch(/--permutations 5 is too few for domain_pvalue 0\.05: with N permutations the p-value is at least 1\/\(N\+1\), so give at least 19/);
    const strict = cli(['drift', '--reference', path.join(dir, 'aa.csv'), '--current', path.join(dir, 'cau.parquet'), '--threshold', 'domain_pvalue=0.01']);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/--permutations 19 \(the default\) is too few for domain_pvalue 0\.01: .* at least 99/);
    // Unknown threshold names, columns and tests are refused, not ignored.
    const two = ['drift', '--reference', path.join(dir, 'aa.csv'), '--current', path.join(dir, 'cau.parquet'), '--no-domain-classifier'];
    const foo = cli([...two, '--threshold', 'foo=1']);
    expect(foo.code).toBe(2);
    expect(foo.stderr).toMatch(/unknown threshold 'foo': neither a threshold \(ks, .*domain_pvalue\) nor a compared column \(decile_score, age, sex, priors_count\)/);
    const nope = cli([...two, '--test', 'nope=ks']);
    expect(nope.code).toBe(2);
    expect(nope.stderr).toMatch(/test for 'nope': no such column is compared; columns: decile_score, age, sex, priors_count/);
    for (const spec of ['age=zz', 'zz']) {
      const zz = cli([...two, '--test', spec]);
      expect(zz.code).toBe(2);
      expect(zz.stderr).toMatch(/--test( age)?: unknown test 'zz'; known: ks, wasserstein_norm, psi, js, chi2, z/);
    }
    // The option at fault is named: a malformed --reference-window before the missing current side; --since after --until.
    const win = cli(['drift', '--project', 'shop', '--reference-window', 'a/b/c']);
    expect(win.code).toBe(2);
    expect(win.stderr).toMatch(/^loopguard: --reference-window must be START\/END, e\.g\. 2026-01-01\/2026-01-08 \(got 'a\/b\/c'\)/);
    const cw = cli(['drift', '--project', 'shop', '--reference-window', '2026-01-01/2026-01-08', '--current-window', '2026-01-09']);
    expect(cw.stderr).toMatch(/--current-window must be START\/END/);
    const order = cli(['drift', '--project', 'shop', '--reference-window', '2026-01-01/2026-01-08', '--window', 'day', '--since', '2024-03-01', '--until', '2024-02-01']);
    expect(order.code).toBe(2);
    expect(order.stderr).toMatch(/^loopguard: --since 2024-03-01 is after --until 2024-02-01/);
    const usage = cli(['drift', '--reference', path.join(dir, 'aa.csv')]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--current/);
  });
});

describe('loopguard drift: a value that is not a number in a numeric column', () => {
  it('exits 2 naming the file, row and column instead of comparing the column as categories', () => {
    const lines = fs.readFileSync(path.join(dir, 'aa.csv'), 'utf8').trim().split('\n');
    const header = lines[0]!.split(',');
    const at = header.indexOf('age');
    const row = lines[11]!.split(',');
    row[at] = 'abc';
    lines[11] = row.join(',');
    const bad = path.join(dir, 'aa-badage.csv');
    fs.writeFileSync(bad, lines.join('\n') + '\n');
    const r = cli(['drift', '--reference', path.join(dir, 'cau.parquet'), '--current', bad, '--columns', 'age', '--no-domain-classifier']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^loopguard: current .*aa-badage\.csv, row 11, column age: 'abc' is not a number, but age is numeric in the reference data; correct the value or leave it empty/);
    // The other way round the reference's file is named; without --columns too.
    const back = cli(['drift', '--reference', bad, '--current', path.join(dir, 'cau.parquet'), '--no-domain-classifier']);
    expect(back.code).toBe(2);
    expect(back.stderr).toMatch(/reference .*aa-badage\.csv, row 11, column age: 'abc' is not a number, but age is numeric in the current data/);
  });

  it('warns when stray values made a numeric column text on both sides, and compares it as categories', () => {
    const strayed = (name: string, value: string) => {
      const lines = fs.readFileSync(path.join(dir, 'aa.csv'), 'utf8').trim().split('\n');
      const at = lines[0]!.split(',').indexOf('age');
      for (const k of [5, 9]) {
        const row = lines[k]!.split(',');
        row[at] = value;
        lines[k] = row.join(',');
      }
      const file = path.join(dir, name);
      fs.writeFileSync(file, lines.join('\n') + '\n');
      return { file, rows: lines.length - 1 };
    };
    const ref = strayed('aa-na.csv', 'N/A'), cur = strayed('aa-dash.csv', '-');
    const r = cli(['drift', '--reference', ref.file, '--current', cur.file, '--columns', 'age', '--no-domain-classifier', '--format', 'json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout);
    const warn = body.verdicts.find((v: { check: string }) => v.check === 'column_type');
    // 2 stray values per side among the rows of both
    expect(warn.status).toBe('warn');
    expect(warn.value).toBeCloseTo(1 - 4 / (ref.rows + cur.rows), 12);
    expect(warn.message).toMatch(/^Column age is text on both sides, but 99\.\d+% of its values read as numbers \(others, such as '(N\/A|-)', made it text\), so it was compared as categories/);
    expect(body.metrics.some((m: { name: string }) => m.name === 'chi2')).toBe(true);
  });
});

describe('loopguard drift: nothing to compare is bad input (exit 2), never all ok', () => {
  it('refuses sides that share no column, an empty file and a file of uncompared types', async () => {
    const other = path.join(dir, 'other.csv');
    fs.writeFileSync(other, 'foo,bar\n1,2\n3,4\n');
    const r = cli(['drift', '--reference', path.join(dir, 'aa.csv'), '--current', other]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no column shared by the reference and the current data: the reference .*aa\.csv has decile_score, age, sex, priors_count; the current .*other\.csv has foo, bar/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    for (const [name, text] of [['empty.csv', ''], ['header.csv', 'decile_score,age,sex,priors_count\n']] as const) {
      const f = path.join(dir, name);
      fs.writeFileSync(f, text);
      const e = cli(['drift', '--reference', path.join(dir, 'aa.csv'), '--current', f]);
      expect(e.code).toBe(2);
      expect(e.stderr).toMatch(new RegExp(`--current .*${name.replace('.', '\\.')}: the file has no data rows`));
    }
    const pq = path.join(dir, 'lists.parquet');
    const db = await DuckDbStore.open(':memory:');
    await db.query(`COPY (SELECT [1, 2] AS decile_score, TIMESTAMP '2024-01-01' AS ts) TO '${pq}' (FORMAT parquet)`);
    await db.close();
    const l = cli(['drift', '--reference', path.join(dir, 'aa.csv'), '--current', pq]);
    expect(l.code).toBe(2);
    expect(l.stderr).toMatch(/no column shared .*the current .*lists\.parquet has decile_score \(type INTEGER\[\] is not compared\), ts \(type TIMESTAMP is not compared\)/);
  });
});

describe('loopguard eval-freshness and profile-decay (store file)', () => {
  it('exits 1 on an eval set that misses recent traffic, writes a refresh sample; profile-decay warns only', async () => {
    const dbPath = path.join(dir, 'lg.duckdb');
    const store = await DuckDbStore.open(dbPath);
    const { createRng } = await import('../../src/stats/rng.js');
    const rng = createRng(3);
    const events: any[] = [];
    for (let d = 0; d < 6; d++)
      for (let k = 0; k < 80; k++) {
        const n = d * 80 + k, ts = Date.UTC(2026, 0, 1 + d, 0, k) * 1000;
        const attributes = { amount: Math.round(50 + (d >= 3 ? 20 : 0) + 10 * rng.normal()), plan: d >= 3 && k % 4 === 0 ? 'pro' : k % 2 ? 'free' : 'basic' };
        events.push({ type: 'decision', tsMicros: ts, event: { type: 'decision', event_id: `d${n}`, ts: new Date(ts / 1000).toISOString(), request_id: `r${n}`, user_id: `u${k % 8}`, surface: 's', policy: 'p', policy_version: 'v1', strategy: 'personalized', attributes, shown: [{ item_id: `i${(k + d) % 4}`, position: 1, propensity: 0.5, explored: false }] } });
      }
    await store.writeEvents([{ project: 'shop', events }]);
    await store.close();
    const evalFile = path.join(dir, 'eval.csv');
    fs.writeFileSync(evalFile, 'amount,plan\n' + Array.from({ length: 60 }, (_, i) => `${45 + (i % 11)},${i % 2 ? 'free' : 'basic'}`).join('\n') + '\n');
    const out = path.join(dir, 'refresh.jsonl');
    const r = cli(['eval-freshness', '--eval', evalFile, '--project', 'shop', '--db', dbPath, '--window', '3d', '--suggest', '30', out, '--format', 'json']);
    expect(r.code).toBe(1);
    const body = JSON.parse(r.stdout);
    expect(body.verdicts.find((v: any) => v.check === 'eval_coverage').status).toBe('fail');
    expect(body.metrics.find((m: any) => m.name === 'uncovered_traffic_share' && m.group.region === 'plan').value).toBeCloseTo(0.25, 2);
    expect(fs.readFileSync(out, 'utf8').trim().split('\n').length).toBe(30);
    const bad = cli(['eval-freshness', '--eval', evalFile, '--project', 'shop', '--db', dbPath, '--threshold', 'nope=1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown threshold 'nope'/);
    // --seed is a whole number; the --suggest file is never the eval set (under any name); an empty window says so.
    for (const seed of ['abc', '1.5', '']) {
      const s = cli(['eval-freshness', '--eval', evalFile, '--project', 'shop', '--db', dbPath, '--seed', seed, '--suggest', '5', path.join(dir, 'seeded.csv')]);
      expect(s.code).toBe(2);
      expect(s.stderr).toMatch(new RegExp(`^loopguard: --seed must be a whole number \\(got '${seed.replace('.', '\\.')}'\\)`));
    }
    const before = fs.readFileSync(evalFile, 'utf8');
    const link = path.join(dir, 'eval-link.csv');
    fs.symlinkSync(evalFile, link);
    for (const target of [evalFile, link, path.join(dir, '.', 'eval.csv')]) {
      const same = cli(['eval-freshness', '--eval', evalFile, '--project', 'shop', '--db', dbPath, '--suggest', '5', target]);
      expect(same.code).toBe(2);
      expect(same.stderr).toMatch(/--suggest .* is the eval set itself \(--eval .*eval\.csv\); writing the sample there would overwrite it/);
    }
    expect(fs.readFileSync(evalFile, 'utf8')).toBe(before);
    const old = cli(['eval-freshness', '--eval', evalFile, '--project', 'shop', '--db', dbPath, '--until', '2000-01-01']);
    expect(old.code).toBe(2);
    expect(old.stderr).toMatch(/^loopguard: project shop has no decisions in the recent window \[1999-12-25 00:00:00, 2000-01-01 00:00:00\) \(--window 7d before --until 2000-01-01\)/);
    const nope = cli(['eval-freshness', '--eval', evalFile, '--project', 'nope', '--db', dbPath, '--until', '2026-01-05']);
    expect(nope.code).toBe(2);
    expect(nope.stderr).toMatch(/project nope has no decisions; check the project name/);
    const d = cli(['profile-decay', '--project', 'shop', '--db', dbPath, '--events', 'exposures', '--short-half-life', '1d', '--long-half-life', '10d', '--format', 'json']);
    expect(d.code).toBe(0);
    expect(JSON.parse(d.stdout).analysis).toBe('profile_decay');
    const cats = path.join(dir, 'cats.csv');
    fs.writeFileSync(cats, 'item_id,category\ni0,x\ni1,x\ni2,y\ni3,y\n');
    const c = cli(['profile-decay', '--project', 'shop', '--db', dbPath, '--events', 'exposures', '--categories', cats, '--format', 'json']);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout).inputs.profile_over).toBe('categories');
    const e = cli(['profile-decay', '--project', 'shop', '--db', dbPath, '--short-half-life', 'soon']);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/short half-life must be a duration/);
    const far = cli(['eval-freshness', '--project', 'shop', '--db', dbPath, '--eval', cats, '--window', '99999999999d']);
    expect(far.code).toBe(2);
    expect(far.stderr).toBe("loopguard: window must be at most 100 years (got '99999999999d')\n");
  });
});
