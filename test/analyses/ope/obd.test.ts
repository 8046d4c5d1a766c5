/**
 * Acceptance: `loopguard ope` on the Open Bandit Dataset sample (Saito et al. 2021). ipw and snipw of the uniform
 * target equal a computation over the raw CSV written here independently (plain string splitting, the OBP formulas
 * with action_dist[n, item, position] = 1 / n_items), to 1e-12; the diagnostics equal their definitions over the same
 * weights; and bts/women.csv, whose log holds a propensity of 1e-6, is refused with `fail` verdicts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASETS, cli } from '../../helpers.js';

interface Raw {
  click: number[];
  pscore: number[];
  items: number;
}

function readObd(file: string): Raw {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const iItem = header.indexOf('item_id'), iClick = header.indexOf('click'), iP = header.indexOf('propensity_score');
  const items = new Set<string>();
  const click: number[] = [], pscore: number[] = [];
  for (const line of lines.slice(1)) {
    const c = line.split(',');
    items.add(c[iItem]!);
    click.push(Number(c[iClick]));
    pscore.push(Number(c[iP]));
  }
  return { click, pscore, items: items.size };
}

function run(file: string, extra: string[] = []) {
  const r = cli(['ope', '--logs', file, '--target', 'uniform', '--format', 'json', ...extra]);
  expect(r.stderr).toBe('');
  const result = JSON.parse(r.stdout);
  const get = (name: string, interval?: string) =>
    result.metrics.find((m: any) => m.name === name && (interval === undefined || m.group?.interval === interval));
  const verdict = (check: string) => result.verdicts.find((v: any) => v.check === check);
  return { code: r.code, result, get, verdict };
}

describe('ope on OBD bts/men.csv with --target uniform', () => {
  const file = path.join(DATASETS, 'obd', 'bts', 'men.csv');
  const raw = readObd(file);
  const out = run(file);
  // Independent: w_i = (1 / n_items) / pscore_i.
  const w = raw.pscore.map((p) => 1 / raw.items / p);
  const n = w.length;
  let swr = 0, sw = 0, sww = 0, maxW = 0, minP = Infinity;
  w.forEach((wi, i) => {
    swr += wi * raw.click[i]!;
    sw += wi;
    sww += wi * wi;
    maxW = Math.max(maxW, wi);
    minP = Math.min(minP, raw.pscore[i]!);
  });

  it('ipw and snipw equal the raw-CSV computation to 1e-12, under both intervals', () => {
    expect(raw.items).toBe(34);
    expect(out.result.inputs.rounds).toBe(10_000);
    for (const interval of ['bootstrap', 'normal']) {
      expect(Math.abs(out.get('ipw', interval).value - swr / n)).toBeLessThan(1e-12);
      expect(Math.abs(out.get('snipw', interval).value - swr / sw)).toBeLessThan(1e-12);
    }
  });

  it('reports the on-policy value and the weight diagnostics by their definitions', () => {
    const clicks = raw.click.reduce((s, c) => s + c, 0);
    expect(out.get('on_policy_value').value).toBe(clicks / n);
    expect(out.get('ess').value).toBeCloseTo((sw * sw) / sww, 6);
    expect(out.get('max_weight').value).toBeCloseTo(maxW, 9);
    expect(out.get('max_weight_share').value).toBeCloseTo(maxW / sw, 12);
    expect(out.get('min_propensity').value).toBe(minP);
    expect(out.get('mean_weight').value).toBeCloseTo(sw / n, 12);
    expect(out.get('support_deficiency').value).toBe(0);
  });

  it('has every estimator with both intervals, each containing its value', () => {
    for (const name of ['ipw', 'snipw', 'dm', 'dr', 'sndr', 'switch-dr', 'dr-os'])
      for (const interval of ['bootstrap', 'normal']) {
        const m = out.get(name, interval);
        expect(m, `${name} ${interval}`).toBeDefined();
        expect(m.ci[0]).toBeLessThanOrEqual(m.value);
        expect(m.ci[1]).toBeGreaterThanOrEqual(m.value);
      }
  });

  it('passes the trust checks (exit 0: no fail)', () => {
    for (const check of ['effective_sample_size', 'max_weight_share', 'support_deficiency']) expect(out.verdict(check).status).toBe('ok');
    expect(out.code).toBe(0);
  });
});

describe('ope on OBD bts/women.csv: one propensity near zero', () => {
  const file = path.join(DATASETS, 'obd', 'bts', 'women.csv');
  const raw = readObd(file);
  const out = run(file, ['--bootstrap', '200']);
  const w = raw.pscore.map((p) => 1 / raw.items / p);
  const sw = w.reduce((s, x) => s + x, 0);
  const sww = w.reduce((s, x) => s + x * x, 0);
  const iMin = raw.pscore.indexOf(Math.min(...raw.pscore));

  it('fails the effective-sample-size and largest-weight checks, naming the row, and exits 1', () => {
    expect(raw.pscore[iMin]).toBe(1e-6);
    const ess = out.verdict('effective_sample_size');
    expect(ess.status).toBe('fail');
    expect(ess.value).toBeCloseTo((sw * sw) / sww, 6);
    expect(ess.message).toMatch(/not to be trusted/);
    const share = out.verdict('max_weight_share');
    expect(share.status).toBe('fail');
    expect(share.value).toBeCloseTo(Math.max(...w) / sw, 12);
    expect(share.message).toContain(`round ${iMin}`); // the data row of the CSV (0-based, OBD's index column)
    expect(out.verdict('min_propensity').status).toBe('warn');
    expect(out.verdict('beats_logging').status).toBe('unknown');
    expect(out.code).toBe(1);
  });

  it('still computes ipw and snipw exactly', () => {
    const swr = w.reduce((s, x, i) => s + x * raw.click[i]!, 0);
    expect(Math.abs(out.get('ipw', 'normal').value - swr / w.length)).toBeLessThan(1e-12);
    expect(Math.abs(out.get('snipw', 'normal').value - swr / sw)).toBeLessThan(1e-12);
  });
});
