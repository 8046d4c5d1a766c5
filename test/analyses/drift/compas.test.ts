/**
 * Acceptance on ProPublica's COMPAS data (read from ../shared/datasets, never copied into the repository):
 * decile_score of African-American defendants against Caucasian ones drifts clearly; random halves of one group do
 * not, and over 200 random splits the false-alarm rate of the p-value tests stays near the nominal 5%.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drift, loadFile, type DriftSource, type LoadedSource } from '../../../src/analyses/drift/index.js';
import type { Result } from '../../../src/analyses/result.js';
import { DuckDbStore } from '../../../src/store/duckdb/store.js';
import { DATASETS } from '../../helpers.js';

const FILE = path.join(DATASETS, 'compas', 'compas-scores-two-years.csv');
let db: DuckDbStore;
let compas: LoadedSource;

const where = (cond: string, label: string): DriftSource => ({
  relation: { from: `(SELECT * FROM compas WHERE ${cond}) AS t`, params: [], label },
  columns: compas.columns,
});
/** A random half of one race: rows whose hash of (id, seed) is even, or odd. */
const half = (race: string, seed: number, side: 0 | 1) => where(`race = '${race}' AND hash(concat(id, ':', ${seed})) % 2 = ${side}`, `${race} half ${side}`);
const metric = (r: Result, name: string) => r.metrics.find((m) => m.name === name && m.group?.column === 'decile_score')!.value!;
const verdict = (r: Result) => r.verdicts.find((v) => v.check === 'column_drift' && v.group?.column === 'decile_score')!;

beforeAll(async () => {
  db = await DuckDbStore.open(':memory:');
  compas = await loadFile(db, FILE, 'compas', '--reference');
});
afterAll(async () => db?.close());

describe('COMPAS decile_score', () => {
  it('drifts clearly between African-American (reference) and Caucasian (current) defendants', async () => {
    const r = await drift(db, { reference: where(`race = 'African-American'`, 'AA'), current: where(`race = 'Caucasian'`, 'C'), columns: ['decile_score'], domainClassifier: false });
    expect(r.inputs.reference_rows).toBe(3696);
    expect(r.inputs.current_rows).toBe(2454);
    // Default rule at n = 3696 > 1000: the normalised Wasserstein distance, far above 0.1.
    expect(verdict(r).status).toBe('fail');
    expect(verdict(r).message).toMatch(/Wasserstein distance \/ reference sd/);
    expect((r.inputs.tests as Record<string, { test: string }>).decile_score!.test).toBe('wasserstein_norm');
    expect(metric(r, 'wasserstein_norm')).toBeGreaterThan(0.5);
    expect(metric(r, 'ks')).toBeGreaterThan(0.2);
    expect(metric(r, 'ks_pvalue')).toBeLessThan(1e-50);
    expect(metric(r, 'psi')).toBeGreaterThan(0.25);
    expect(r.verdicts.find((v) => v.check === 'dataset_drift')!.status).toBe('fail');
    // Every p-value test agrees.
    const ks = await drift(db, { reference: where(`race = 'African-American'`, 'AA'), current: where(`race = 'Caucasian'`, 'C'), columns: ['decile_score'], tests: { '*': 'ks' }, domainClassifier: false });
    expect(verdict(ks).status).toBe('fail');
  });

  it('shows no drift between two random halves of the same group', async () => {
    const r = await drift(db, { reference: half('African-American', 1, 0), current: half('African-American', 1, 1), columns: ['decile_score'], domainClassifier: false });
    expect(verdict(r).status).toBe('ok');
    expect(metric(r, 'wasserstein_norm')).toBeLessThan(0.1);
    expect(metric(r, 'ks_pvalue')).toBeGreaterThan(0.05);
  });

  it('keeps the false-alarm rate near the nominal 5% over 200 random splits', async () => {
    const splits = 200;
    let ks = 0, ksTies = 0, chi2 = 0, byDefault = 0;
    for (let seed = 1; seed <= splits; seed++) {
      const ref = half('African-American', seed, 0), cur = half('African-American', seed, 1);
      const a = await drift(db, { reference: ref, current: cur, columns: ['decile_score'], tests: { decile_score: 'ks' }, domainClassifier: false });
      // decile_score has 10 levels; read as categories (max_categories 10) it gets Pearson's chi-square.
      const b = await drift(db, { reference: ref, current: cur, columns: ['decile_score'], tests: { decile_score: 'chi2' }, thresholds: { max_categories: 10 }, domainClassifier: false });
      const c = await drift(db, { reference: ref, current: cur, columns: ['decile_score'], domainClassifier: false });
      ks += verdict(a).status === 'fail' ? 1 : 0;
      ksTies += metric(a, 'ks_pvalue_ties') < 0.05 ? 1 : 0;
      chi2 += verdict(b).status === 'fail' ? 1 : 0;
      byDefault += verdict(c).status === 'fail' ? 1 : 0;
    }
    // Tolerance: 3 binomial standard errors of a 5% rate over 200 splits (3 * sqrt(.05 * .95 / 200) = 0.046).
    const tol = 3 * Math.sqrt((0.05 * 0.95) / splits);
    // Pearson's chi-square is calibrated: its rate must be within the band on both sides.
    expect(Math.abs(chi2 / splits - 0.05)).toBeLessThanOrEqual(tol);
    // KS assumes continuous data; with 10 tied levels it is conservative, so only the upper side binds.
    expect(ks / splits).toBeLessThanOrEqual(0.05 + tol);
    // The exact permutation p-value given the ties is exact: at most nominal, and no more conservative than KS.
    expect(ksTies / splits).toBeLessThanOrEqual(0.05 + tol);
    expect(ksTies).toBeGreaterThanOrEqual(ks);
    // The default rule (a distance at this size) raises almost no false alarms.
    expect(byDefault / splits).toBeLessThanOrEqual(0.05);
  });
});
